/** The agent's state as the window, the console and the tray see it: the bridge contract's types, plus how to build them. */
import type { RecordSummary } from '../contracts/bridge.js';
import type { TaskRecord } from '../contracts/wire.js';

export type { AgentSnapshot, ApprovalView, HistoryFilter, LocalEvent, RecordSummary } from '../contracts/bridge.js';

/** A record without its output (snapshots stay small; the output is fetched when the user opens it). */
export function summarize(record: TaskRecord): RecordSummary {
  const { stdout, stderr, ...rest } = record;
  return { ...rest, stdout_bytes: Buffer.byteLength(stdout), stderr_bytes: Buffer.byteLength(stderr) };
}

/** Whether a record belongs in the window's filter. */
export function matchesFilter(record: Pick<TaskRecord, 'kind' | 'status'>, filter: 'all' | 'ai' | 'shell' | 'refused'): boolean {
  if (filter === 'ai') return record.kind === 'claude_task';
  if (filter === 'shell') return record.kind !== 'claude_task';
  if (filter === 'refused') return record.status === 'refused';
  return true;
}
