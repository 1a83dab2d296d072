/** A command the agent is working on: from arrival to its result. */
import type { ProgressKind, TaskRecord } from '../contracts/wire.js';
import type { ApprovalView } from './snapshot.js';

export interface InFlight {
  record: TaskRecord;
  controller: AbortController;
  isClaude: boolean;
  approval: ApprovalView | null;
  /** The latest progress line, for the window's live view, and what kind of progress it was. */
  tail: string;
  tailKind: ProgressKind | null;
}

/** AI tasks whose CLI has started and not yet ended (what the concurrency limit counts). */
export function claudeRunningCount(inFlight: Map<string, InFlight>): number {
  let n = 0;
  for (const f of inFlight.values()) if (f.isClaude && f.record.started_at && f.record.finished_at === null) n++;
  return n;
}
