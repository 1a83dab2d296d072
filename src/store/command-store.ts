/**
 * The one source of truth for commands (SPEC §3.5): an append-only log of their lives (start, update,
 * finish with the result, ack), from which the ledger (never run an id twice), the outbox (results not
 * yet acknowledged) and the history (the last 1,000 records) are derived. One write of each event, and
 * at most two fsyncs per command (start, finish), fewer under a burst (group commit).
 *
 * `history.jsonl` mirrors the finished records without fsync, so that losing either file alone still
 * leaves every finished id known: the agent then answers it from its record and never runs it again.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { CommandResultPayload, TaskRecord } from '../contracts/wire.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { writeFileAtomic } from './atomic-file.js';
import type { CommandEvent } from './command-events.js';
import { readCommandFiles, type CommandFiles } from './command-files.js';
import { CommandViews } from './command-views.js';
import { LogWriter } from './log-writer.js';

export const LOG_FILE = 'commands.jsonl';
export const HISTORY_FILE = 'history.jsonl';
const RETENTION_MS = 48 * 3600_000;
const KEEP_RECORDS = 1000;

export class CommandStore {
  readonly #dataDir: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #views = new CommandViews(KEEP_RECORDS);
  #log!: LogWriter;
  #mirror!: LogWriter;
  #lines = 0;
  #mirrorLines = 0;
  #unfinishedAtLoad: TaskRecord[] = [];
  #warnings: string[] = [];
  #legacy = false;
  /** The log lost events the history mirror still knew: rewrite it, so losing the mirror later loses nothing. */
  #logLacks = false;
  /** The mirror lacks finished records the log knows: rewrite it, so losing the log later loses nothing. */
  #mirrorLacks = false;

  constructor(dataDir: string, clock: Clock, logger: Logger) {
    this.#dataDir = dataDir;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** Reads the log (and the history mirror, and a previous version's files); reports what it could not read. */
  load(): void {
    const files = readCommandFiles(this.#dataDir, this.#logger);
    for (const ev of files.events) this.#views.apply(ev);
    const adopted: string[] = [];
    for (const record of files.mirrored) if (this.#views.adoptRecord(record)) adopted.push(record.id);
    this.#views.sortByArrival();
    this.#legacy = files.legacy;
    this.#views.forgetBefore(this.#clock.now() - RETENTION_MS);
    this.#compareFiles(files, adopted);
    this.#log = new LogWriter(path.join(this.#dataDir, LOG_FILE), files.logBytes);
    this.#mirror = new LogWriter(path.join(this.#dataDir, HISTORY_FILE), files.mirrorBytes);
    this.#lines = files.events.length;
    this.#mirrorLines = files.mirrored.length;
    this.#unfinishedAtLoad = this.#views.unfinished();
    this.#warnings = files.warnings;
    for (const w of files.warnings) this.#logger.warn(w);
  }

  /**
   * Rewrites what load() found in an older or damaged form, once: a previous version's files (a ledger
   * of states, an outbox directory) into the log; a log that lost what the history mirror still knew;
   * a mirror that lacks finished records. Either file then again knows every id on its own.
   */
  async migrate(): Promise<void> {
    if ((this.#legacy || this.#logLacks) && (await this.#compact())) {
      if (this.#legacy) {
        rmSync(path.join(this.#dataDir, 'outbox'), { recursive: true, force: true });
        this.#logger.info('moved the previous version\'s command ledger and outbox into the command log');
      } else this.#logger.info('wrote the command log again from what could be read of it and of the history file');
      this.#legacy = false;
      this.#logLacks = false;
    }
    if (this.#mirrorLacks && (await this.#compactMirror())) this.#mirrorLacks = false;
  }

  /** What the store could not read at start-up, in words (for the log and the UI). */
  get warnings(): string[] {
    return [...this.#warnings];
  }

  /** 'running' from the start until the result is stored; 'finished' after; undefined for an id never seen. */
  state(id: string): 'running' | 'finished' | undefined {
    return this.#views.state(id);
  }

  /** Records that were running when the previous agent process ended. */
  unfinishedAtLoad(): TaskRecord[] {
    return this.#unfinishedAtLoad.filter((r) => this.#views.state(r.id) === 'running');
  }

  /** Durably records that a command was taken in; it must not run unless this resolved. */
  start(record: TaskRecord): Promise<void> {
    return this.#append({ e: 'start', id: record.id, at: this.#clock.now(), record }, true);
  }

  /** Durably records a change of a running command's record (an approval decision, its start time). */
  update(record: TaskRecord): Promise<void> {
    return this.#append({ e: 'update', id: record.id, at: this.#clock.now(), record }, true);
  }

  /** Durably records the end of a command with the result to send; the result must not be sent before this resolved. */
  async finish(record: TaskRecord, result: CommandResultPayload): Promise<void> {
    await this.#append({ e: 'finish', id: record.id, at: this.#clock.now(), record, result }, true);
    this.#mirrorLines++;
    this.#mirror.append(JSON.stringify(record), false).catch((err: unknown) => {
      this.#logger.warn('could not mirror a task record to the history file', { error: String(err) });
    });
  }

  /** The server has the result: it leaves the outbox. Not fsynced: a lost ack only means one more send. */
  acknowledge(id: string): Promise<void> {
    if (!this.#views.hasPendingResult(id)) return Promise.resolve();
    return this.#append({ e: 'ack', id, at: this.#clock.now() }, false);
  }

  /** Results not yet acknowledged, oldest first. */
  pending(): CommandResultPayload[] {
    return this.#views.pendingResults();
  }

  /** The stored result of a finished id (from the outbox, else rebuilt from its record), or null. */
  resultOf(id: string): CommandResultPayload | null {
    return this.#views.resultOf(id);
  }

  record(id: string): TaskRecord | undefined {
    return this.#views.record(id);
  }

  /** Newest first, at most 1,000. */
  recent(limit: number): TaskRecord[] {
    return this.#views.recent(limit);
  }

  /** Waits for every write so far. */
  async close(): Promise<void> {
    await Promise.all([this.#log.close(), this.#mirror.close()]);
  }

  async #append(ev: CommandEvent, durable: boolean): Promise<void> {
    await this.#log.append(JSON.stringify(ev), durable);
    this.#views.apply(ev);
    this.#lines++;
    if (this.#lines > this.#views.liveEvents() * 2 + 2000) await this.#compact();
    if (this.#mirrorLines > KEEP_RECORDS * 2) await this.#compactMirror();
  }

  /**
   * Which file lacks what the other knows, each to be written again by migrate(); a loss is a warning.
   * `adopted` are the ids whose end only the history mirror knew.
   */
  #compareFiles(files: CommandFiles, adopted: string[]): void {
    // Ids the log had forgotten by design (past the retention) are forgotten again by now; the rest it lost
    // (a previous version's ledger forgot ids its history still showed: not a loss).
    const lost = adopted.filter((id) => this.#views.state(id) !== undefined);
    this.#logLacks = lost.length > 0;
    if (lost.length > 0 && files.events.length > 0 && !files.legacy) {
      files.warnings.push(
        `The command log ${path.join(this.#dataDir, LOG_FILE)} lacked the end of ${lost.length} finished command(s) that ` +
          `${path.join(this.#dataDir, HISTORY_FILE)} knows: those ids are answered from their records and never run again.`,
      );
    }
    const mirroredIds = new Set(files.mirrored.map((r) => r.id));
    const unmirrored = this.#views.recent(KEEP_RECORDS).filter((r) => r.status !== 'running' && r.status !== 'awaiting_approval' && !mirroredIds.has(r.id));
    this.#mirrorLacks = unmirrored.length > 0;
    if (files.mirrorEmpty && unmirrored.length > 0) {
      files.warnings.push(
        `The history file ${path.join(this.#dataDir, HISTORY_FILE)} is missing or empty although the command log knows ` +
          `${unmirrored.length} finished command(s); it is written again from the log.`,
      );
    }
  }

  /** Rewrites the log with one event per live id: records kept, results unacknowledged, ids remembered. */
  async #compact(): Promise<boolean> {
    return this.#rewrite(this.#log, LOG_FILE, () => {
      this.#views.forgetBefore(this.#clock.now() - RETENTION_MS);
      return this.#views.snapshotEvents(this.#clock.now());
    }, (n) => (this.#lines = n), 'could not compact the command log; it keeps growing until the disk allows it');
  }

  async #compactMirror(): Promise<boolean> {
    return this.#rewrite(this.#mirror, HISTORY_FILE, () => this.#views.recent(KEEP_RECORDS).reverse(), (n) => (this.#mirrorLines = n), 'could not compact the history file');
  }

  /** Replaces `file` atomically with one line per item, with no append under way; false (and a warning) when the disk refuses. */
  async #rewrite(writer: LogWriter, file: string, items: () => unknown[], counted: (lines: number) => void, warning: string): Promise<boolean> {
    let done = false;
    await writer.exclusive(async () => {
      const lines = items();
      const text = lines.map((item) => `${JSON.stringify(item)}\n`).join('');
      try {
        await writeFileAtomic(path.join(this.#dataDir, file), text);
      } catch (err) {
        this.#logger.warn(warning, { error: String(err) });
        return null;
      }
      counted(lines.length);
      done = true;
      return Buffer.byteLength(text);
    });
    return done;
  }
}
