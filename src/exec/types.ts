/** What every executor (shell, Claude) takes and gives back; the dispatcher adds the command id. */
import type { ClaudeResultInfo, ProgressKind, ResultStatus } from '../contracts/wire.js';

/**
 * Why a running command is being stopped early; passed as the AbortSignal's reason.
 * `cancelled` = technician cancel or local stop (reason says which); `interrupted` = agent quit.
 */
export interface StopRequest {
  status: 'cancelled' | 'interrupted';
  reason: string;
}

/** The result of running one command, everything but the command id. */
export interface ExecutionOutcome {
  exit_code: number;
  stdout: string;
  stderr: string;
  duration_ms: number;
  status: ResultStatus;
  reason: string | null;
  claude?: ClaudeResultInfo;
}

export type ProgressSink = (kind: ProgressKind, data: string) => void;

/** Reads the StopRequest an AbortSignal was aborted with (a plain abort counts as a cancel). */
export function stopRequestOf(signal: AbortSignal): StopRequest {
  const r = signal.reason as Partial<StopRequest> | undefined;
  if (r && (r.status === 'cancelled' || r.status === 'interrupted') && typeof r.reason === 'string') {
    return { status: r.status, reason: r.reason };
  }
  return { status: 'cancelled', reason: 'cancelled' };
}

/** The outcome of a command stopped before anything was started. */
export function stoppedBeforeStart(signal: AbortSignal): ExecutionOutcome {
  const stop = stopRequestOf(signal);
  return { exit_code: -1, stdout: '', stderr: '', duration_ms: 0, status: stop.status, reason: stop.reason };
}
