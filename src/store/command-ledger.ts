/**
 * Every command id the agent has seen, with its last state: so a repeated id is never run twice
 * (remembered for 48 h, the SPEC asks for at least 24 h) and commands cut off by a crash are found.
 */
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { Journal } from './journal.js';

export type LedgerState = 'running' | 'finished';

const entrySchema = z.object({ id: z.string(), state: z.enum(['running', 'finished']), at: z.number() });
type Entry = z.infer<typeof entrySchema>;

const DEFAULT_RETENTION_MS = 48 * 3600_000;

export class CommandLedger {
  readonly #journal: Journal<Entry>;
  readonly #clock: Clock;
  readonly #retentionMs: number;
  readonly #entries = new Map<string, Entry>();
  #unfinishedAtLoad: string[] = [];

  constructor(path: string, clock: Clock, logger: Logger, retentionMs = DEFAULT_RETENTION_MS) {
    this.#journal = new Journal(path, entrySchema, logger);
    this.#clock = clock;
    this.#retentionMs = retentionMs;
  }

  /** Reads the journal, drops ids older than the retention, and compacts it when it has grown. */
  load(): void {
    const cutoff = this.#clock.now() - this.#retentionMs;
    for (const e of this.#journal.readAll()) this.#entries.set(e.id, e);
    for (const [id, e] of this.#entries) {
      if (e.state === 'finished' && e.at < cutoff) this.#entries.delete(id);
    }
    this.#unfinishedAtLoad = [...this.#entries.values()].filter((e) => e.state === 'running').map((e) => e.id);
    if (this.#journal.lineCount > this.#entries.size * 2 + 100) void this.#journal.rewrite([...this.#entries.values()]);
  }

  state(id: string): LedgerState | undefined {
    return this.#entries.get(id)?.state;
  }

  markRunning(id: string): Promise<void> {
    return this.#record({ id, state: 'running', at: this.#clock.now() });
  }

  markFinished(id: string): Promise<void> {
    return this.#record({ id, state: 'finished', at: this.#clock.now() });
  }

  /** Ids that were running when the previous agent process ended. */
  unfinished(): string[] {
    return this.#unfinishedAtLoad.filter((id) => this.#entries.get(id)?.state === 'running');
  }

  async #record(entry: Entry): Promise<void> {
    this.#entries.set(entry.id, entry);
    await this.#journal.append(entry);
    if (this.#journal.lineCount > this.#entries.size * 3 + 1000) {
      const cutoff = this.#clock.now() - this.#retentionMs;
      for (const [id, e] of this.#entries) if (e.state === 'finished' && e.at < cutoff) this.#entries.delete(id);
      await this.#journal.rewrite([...this.#entries.values()]);
    }
  }
}
