/** Building task records (what the window and `history` show) and results from one another. */
import type { CommandPayload, CommandResultPayload, TaskRecord } from '../contracts/wire.js';
import { CappedOutput } from '../exec/output-capture.js';
import type { ExecutionOutcome } from '../exec/types.js';

/** Longest summary kept for a record (the full script/task is not needed to recognise it). */
const SUMMARY_CHARS = 500;
/**
 * Output kept per stream in a history record. The full (capped) output goes to the server in the
 * result; 1,000 records of up to 1 MiB each would otherwise cost gigabytes of memory and disk.
 */
export const HISTORY_OUTPUT_BYTES = 32 * 1024;

function keepHeadAndTail(text: string): string {
  if (Buffer.byteLength(text) <= HISTORY_OUTPUT_BYTES) return text;
  const capped = new CappedOutput(HISTORY_OUTPUT_BYTES);
  capped.write(text);
  return capped.toString();
}

/** A fresh record for a command that has just arrived. */
export function newTaskRecord(cmd: CommandPayload, receivedAt: number): TaskRecord {
  const claude = typeof cmd.command_type === 'object' ? cmd.command_type.claude_task : null;
  const text = claude ? claude.task : cmd.command;
  return {
    id: cmd.id,
    kind: claude ? 'claude_task' : (cmd.command_type as 'shell' | 'powershell' | 'python'),
    summary: text.length > SUMMARY_CHARS ? `${text.slice(0, SUMMARY_CHARS)}…` : text,
    requested_by: cmd.requested_by ?? null,
    working_directory: claude?.working_directory ?? null,
    received_at: new Date(receivedAt).toISOString(),
    started_at: null,
    finished_at: null,
    status: 'running',
    exit_code: null,
    duration_ms: null,
    reason: null,
    stdout: '',
    stderr: '',
    decisions: [],
  };
}

/** A record for a malformed command that carried an id (it never ran; the record says why). */
export function invalidCommandRecord(id: string, receivedAt: number): TaskRecord {
  const iso = new Date(receivedAt).toISOString();
  return {
    id, kind: 'shell', summary: '(invalid command)', requested_by: null, working_directory: null, received_at: iso,
    started_at: null, finished_at: null, status: 'running', exit_code: null, duration_ms: null, reason: null, stdout: '', stderr: '', decisions: [],
  };
}

/** The record once a command has ended with `outcome`. */
export function finishTaskRecord(record: TaskRecord, outcome: ExecutionOutcome, finishedAt: number): TaskRecord {
  return {
    ...record,
    status: outcome.status,
    exit_code: outcome.exit_code,
    duration_ms: outcome.duration_ms,
    reason: outcome.reason,
    stdout: keepHeadAndTail(outcome.stdout),
    stderr: keepHeadAndTail(outcome.stderr),
    finished_at: new Date(finishedAt).toISOString(),
    ...(outcome.claude ? { claude: outcome.claude } : {}),
  };
}

/** The wire result for a command id and its outcome. */
export function toResultPayload(commandId: string, outcome: ExecutionOutcome): CommandResultPayload {
  return {
    command_id: commandId,
    exit_code: outcome.exit_code,
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    duration_ms: Math.max(0, Math.round(outcome.duration_ms)),
    status: outcome.status,
    reason: outcome.status === 'succeeded' ? null : outcome.reason,
    ...(outcome.claude ? { claude: outcome.claude } : {}),
  };
}

/** Rebuilds the result of a finished record (for a repeated command id whose result was already acknowledged). */
export function resultFromRecord(record: TaskRecord): CommandResultPayload | null {
  if (record.status === 'running' || record.status === 'awaiting_approval' || record.exit_code === null) return null;
  return toResultPayload(record.id, {
    exit_code: record.exit_code,
    stdout: record.stdout,
    stderr: record.stderr,
    duration_ms: record.duration_ms ?? 0,
    status: record.status,
    reason: record.reason,
    ...(record.claude ? { claude: record.claude } : {}),
  });
}

/** An outcome for a command the agent refused before running anything. */
export function refusal(reason: string): ExecutionOutcome {
  return { exit_code: -1, stdout: '', stderr: reason, duration_ms: 0, status: 'refused', reason };
}

/** Output carried per stream in a `history` frame: 1,000 records stay well under common frame limits. */
const HISTORY_FRAME_OUTPUT_CHARS = 4 * 1024;

/** A record as sent in a `history` frame: its output cut in the middle to the frame's budget. */
export function trimForFrame(record: TaskRecord): TaskRecord {
  return { ...record, stdout: trimMiddle(record.stdout), stderr: trimMiddle(record.stderr) };
}

function trimMiddle(text: string): string {
  if (text.length <= HISTORY_FRAME_OUTPUT_CHARS) return text;
  const half = HISTORY_FRAME_OUTPUT_CHARS / 2;
  return `${text.slice(0, half)}\n[... ${text.length - HISTORY_FRAME_OUTPUT_CHARS} characters not shown ...]\n${text.slice(-half)}`;
}
