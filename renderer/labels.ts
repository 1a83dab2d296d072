/** The words (and tones) the window uses for kinds, statuses, progress and decisions; colour never stands alone. */
import type { ProgressKind, TaskRecord } from '../src/contracts/wire.js';

export type Tone = 'ok' | 'bad' | 'warn' | 'muted' | 'busy' | 'attention';

export const KIND_LABEL: Record<TaskRecord['kind'], string> = {
  shell: 'Shell',
  powershell: 'PowerShell',
  python: 'Python',
  claude_task: 'AI task',
};

export const STATUS: Record<TaskRecord['status'], { label: string; symbol: string; tone: Tone }> = {
  succeeded: { label: 'Succeeded', symbol: '✓', tone: 'ok' },
  failed: { label: 'Failed', symbol: '✕', tone: 'bad' },
  timed_out: { label: 'Timed out', symbol: '!', tone: 'warn' },
  refused: { label: 'Refused', symbol: '⊘', tone: 'warn' },
  cancelled: { label: 'Cancelled', symbol: '■', tone: 'muted' },
  interrupted: { label: 'Interrupted', symbol: '!', tone: 'warn' },
  running: { label: 'Running', symbol: '●', tone: 'busy' },
  awaiting_approval: { label: 'Awaiting you', symbol: '?', tone: 'attention' },
};

export const TAIL_LABEL: Record<ProgressKind, string> = {
  text: 'Says',
  tool_use: 'Tool',
  tool_result: 'Blocked',
  stdout: 'Output',
  stderr: 'Error output',
};

/** "Allowed by you", "Denied: no answer in time". */
export function decisionText(d: { decision: string; by: string }): string {
  if (d.by === 'timeout') return 'Denied: no answer in time';
  if (d.by === 'cancel') return 'Withdrawn before you answered';
  const verb = d.decision === 'allow' ? 'Allowed' : d.decision === 'deny' ? 'Denied' : d.decision;
  return d.by === 'user' ? `${verb} by you` : `${verb} (${d.by})`;
}
