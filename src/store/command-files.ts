/**
 * Reading the command log and the history mirror at start-up, tolerating a torn last line, invalid
 * lines, a lost or emptied file, and the files of the previous version (a ledger of states and an
 * outbox directory of result files). Whatever could not be read is said in words, never silently.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { commandResultPayloadSchema, taskRecordSchema, type CommandResultPayload, type TaskRecord } from '../contracts/wire.js';
import type { Logger } from '../core/logger.js';
import { commandEventSchema, type CommandEvent } from './command-events.js';

export interface CommandFiles {
  events: CommandEvent[];
  /** Records from the history mirror (finished commands). */
  mirrored: TaskRecord[];
  /** Bytes of whole lines in each file: where appends continue. */
  logBytes: number;
  mirrorBytes: number;
  warnings: string[];
  /** The history mirror held no readable record (missing, empty or unreadable). */
  mirrorEmpty: boolean;
  /** The previous version's files were read: the log should be rewritten in the current form. */
  legacy: boolean;
}

/** The previous version's ledger line. */
const legacyLedgerSchema = z.object({ id: z.string(), state: z.enum(['running', 'finished']), at: z.number() });

interface Lines {
  lines: string[];
  validBytes: number;
  torn: boolean;
  missing: boolean;
  unreadable: string | null;
}

function readLines(file: string): Lines {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { lines: [], validBytes: 0, torn: false, missing: code === 'ENOENT', unreadable: code === 'ENOENT' ? null : String(err) };
  }
  const validBytes = buf.lastIndexOf(0x0a) + 1;
  const lines = buf.subarray(0, validBytes).toString('utf8').split('\n').filter(Boolean);
  return { lines, validBytes, torn: validBytes < buf.length, missing: false, unreadable: null };
}

export function readCommandFiles(dataDir: string, logger: Logger): CommandFiles {
  const warnings: string[] = [];
  const logFile = path.join(dataDir, 'commands.jsonl');
  const mirrorFile = path.join(dataDir, 'history.jsonl');
  const log = readLines(logFile);
  const mirror = readLines(mirrorFile);
  const events: CommandEvent[] = [];
  const mirrored: TaskRecord[] = [];
  let badLog = 0;
  let legacy = false;
  for (const line of log.lines) {
    const ev = parseEvent(line);
    if (ev) {
      events.push(ev.event);
      legacy ||= ev.legacy;
    } else badLog++;
  }
  let badMirror = 0;
  for (const line of mirror.lines) {
    const rec = parseJson(line, taskRecordSchema);
    if (rec) mirrored.push(rec);
    else badMirror++;
  }
  const owed = legacyOutbox(dataDir, mirrored, logger);
  events.push(...owed);
  legacy ||= existsSync(path.join(dataDir, 'outbox'));

  if (log.unreadable) warnings.push(`The command log ${logFile} cannot be read (${log.unreadable}); commands already run are known only from ${mirrorFile}.`);
  if (log.torn) warnings.push(`The command log ${logFile} ended in a torn line (an interrupted write); it was cut off.`);
  if (badLog) warnings.push(`The command log ${logFile} had ${badLog} unreadable line(s); they were skipped.`);
  if (badMirror) warnings.push(`The history file ${mirrorFile} had ${badMirror} unreadable line(s); they were skipped.`);
  const finishedIds = new Set(mirrored.filter((r) => r.status !== 'running' && r.status !== 'awaiting_approval').map((r) => r.id));
  if (events.length === 0 && finishedIds.size > 0 && !log.unreadable) {
    const what = log.missing ? 'missing' : log.lines.length > 0 || log.torn ? 'without a readable event' : 'empty';
    warnings.push(
      `The command log ${logFile} is ${what} although ${mirrorFile} knows ${finishedIds.size} finished command(s): ` +
        'those ids are answered from their records and never run again.',
    );
  }
  if (mirror.unreadable) warnings.push(`The history file ${mirrorFile} cannot be read (${mirror.unreadable}).`);
  return { events, mirrored, logBytes: log.validBytes, mirrorBytes: mirror.validBytes, warnings, mirrorEmpty: mirrored.length === 0, legacy };
}

function parseEvent(line: string): { event: CommandEvent; legacy: boolean } | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  const ev = commandEventSchema.safeParse(raw);
  if (ev.success) return { event: ev.data, legacy: false };
  const old = legacyLedgerSchema.safeParse(raw);
  if (!old.success) return null;
  const { id, state, at } = old.data;
  const event: CommandEvent = state === 'finished' ? { e: 'seen', id, at } : { e: 'start', id, at, record: placeholderRecord(id, at) };
  return { event, legacy: true };
}

function parseJson<T>(line: string, schema: z.ZodType<T>): T | null {
  try {
    const r = schema.safeParse(JSON.parse(line));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

const legacyOutboxFileSchema = z.object({ queued_at: z.number().optional(), result: commandResultPayloadSchema });

/** Results the previous version kept in `outbox/`: still owed to the server, oldest first as it sent them. */
function legacyOutbox(dataDir: string, mirrored: TaskRecord[], logger: Logger): CommandEvent[] {
  const dir = path.join(dataDir, 'outbox');
  if (!existsSync(dir)) return [];
  const owed: z.infer<typeof legacyOutboxFileSchema>[] = [];
  try {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      const raw = parseJson(readFileSync(path.join(dir, name), 'utf8'), legacyOutboxFileSchema);
      if (raw) owed.push(raw);
    }
  } catch (err) {
    logger.warn('could not read the previous version\'s outbox', { dir, error: String(err) });
  }
  owed.sort((a, b) => (a.queued_at ?? 0) - (b.queued_at ?? 0));
  const now = Date.now();
  return owed.map(({ result }) => {
    const id = result.command_id;
    // The previous history appended a running record, then the finished one: the last finished one counts.
    const record = mirrored.filter((r) => r.id === id && r.status !== 'running' && r.status !== 'awaiting_approval').at(-1) ?? recordFromResult(result, now);
    return { e: 'finish', id, at: now, record, result };
  });
}

/** A finished record for a result the previous version still owed but kept no finished record of. */
function recordFromResult(result: CommandResultPayload, at: number): TaskRecord {
  const iso = new Date(at).toISOString();
  return {
    ...placeholderRecord(result.command_id, at),
    finished_at: iso, status: result.status, exit_code: result.exit_code, duration_ms: result.duration_ms,
    reason: result.reason, stdout: result.stdout, stderr: result.stderr, ...(result.claude ? { claude: result.claude } : {}),
  };
}

/** A record for an id the previous version knew only by state. */
function placeholderRecord(id: string, at: number): TaskRecord {
  const iso = new Date(at).toISOString();
  return {
    id, kind: 'shell', summary: '(recorded by a previous version of the agent)', requested_by: null, working_directory: null,
    received_at: iso, started_at: iso, finished_at: null, status: 'running', exit_code: null, duration_ms: null, reason: null,
    stdout: '', stderr: '', decisions: [],
  };
}
