/** SPEC §4.2 "Outcome": what the CLI's run means as an exit code, status and reason. */
import type { ClaudeResultInfo } from '../contracts/wire.js';
import type { ExecutionOutcome } from '../exec/types.js';
import { describeDenial, type ResultEvent } from './claude-stream.js';

export interface ClaudeRunFacts {
  sawInit: boolean;
  model: string | null;
  /** The last `result` event, if any. */
  result: ResultEvent | null;
  exit: { code: number | null; signal: NodeJS.Signals | null; error?: Error };
  timedOut: boolean;
  timeoutMs: number;
  stopped: { status: 'cancelled' | 'interrupted'; reason: string } | null;
  stderr: string;
  durationMs: number;
}

export function claudeInfoOf(f: ClaudeRunFacts): ClaudeResultInfo {
  return {
    model: f.model,
    num_turns: f.result?.num_turns ?? null,
    total_cost_usd: f.result?.total_cost_usd ?? null,
    permission_denials: (f.result?.permission_denials ?? []).map(describeDenial),
  };
}

/** Decides the outcome; the order matters: our timer, a stop, a spawn failure, then the last result. */
export function decideOutcome(f: ClaudeRunFacts, stdoutText: (s: string) => string): ExecutionOutcome {
  const claude = claudeInfoOf(f);
  const base = { duration_ms: f.durationMs, claude };
  const resultText = f.result?.result ?? '';
  if (f.timedOut) {
    const secs = Math.round(f.timeoutMs / 100) / 10;
    return { ...base, exit_code: 124, status: 'timed_out', stdout: stdoutText(resultText), stderr: f.stderr, reason: `Timed out after ${secs} s; the AI task and everything it started were stopped.` };
  }
  if (f.stopped) {
    return { ...base, exit_code: -1, status: f.stopped.status, stdout: stdoutText(resultText), stderr: f.stderr, reason: f.stopped.reason };
  }
  if (f.exit.error) {
    const reason = `The Claude Code CLI could not be started: ${f.exit.error.message}`;
    return { ...base, exit_code: -1, status: 'refused', stdout: '', stderr: reason, reason };
  }
  if (!f.sawInit) {
    const detail = f.stderr.trim().split('\n').find((l) => l.trim()) ?? `exit code ${f.exit.code ?? f.exit.signal}`;
    const reason = `The Claude Code CLI stopped before starting the task: ${detail}`;
    return { ...base, exit_code: -1, status: 'refused', stdout: '', stderr: f.stderr || reason, reason };
  }
  const r = f.result;
  if (r && r.subtype === 'success' && r.is_error !== true && (f.exit.code === 0 || f.exit.code === null)) {
    return { ...base, exit_code: 0, status: 'succeeded', stdout: stdoutText(resultText), stderr: f.stderr, reason: null };
  }
  let reason: string;
  if (!r) reason = `The Claude Code CLI exited with ${f.exit.signal ?? `code ${f.exit.code}`} without a result.`;
  else if (r.subtype === 'error_max_turns') reason = 'The AI task reached its maximum number of turns before finishing.';
  else if (r.subtype === 'error_max_budget_usd') reason = 'The AI task reached its cost budget before finishing.';
  else if (r.is_error && r.api_error_status) reason = `The model API failed: ${oneLine(resultText) || `HTTP ${r.api_error_status}`}`;
  else if (r.is_error && resultText) reason = `The AI task failed: ${oneLine(resultText)}`;
  else reason = `The AI task ended with "${r.subtype}".`;
  const errors = (r?.errors ?? []).map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n');
  const stderr = [reason, errors, f.stderr].filter((s) => s.trim()).join('\n');
  return { ...base, exit_code: 1, status: 'failed', stdout: stdoutText(resultText), stderr, reason };
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}
