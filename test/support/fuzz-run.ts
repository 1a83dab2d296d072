/** Runs fuzz cases by index, so any one of them can be replayed from the seed and its index alone. */
import { caseSeed, seededRandom } from './fuzz-input.js';
import { runTarget, TARGETS, type Target } from './fuzz-targets.js';

export interface FuzzFailure {
  index: number;
  target: Target;
  failure: string;
  input: string;
}

export interface FuzzReport {
  cases: number;
  failures: FuzzFailure[];
  slowest: { index: number; target: Target; ms: number };
}

/** A case taking longer than this counts as a hang. */
export const MAX_CASE_MS = 2000;

export function runCase(seed: number, index: number): { target: Target; failure: string | null; input: string; ms: number } {
  const r = seededRandom(caseSeed(seed, index));
  const target = TARGETS[index % TARGETS.length]!;
  const t0 = performance.now();
  const { failure, input } = runTarget(target, r);
  const ms = performance.now() - t0;
  return { target, input, ms, failure: failure ?? (ms > MAX_CASE_MS ? `took ${Math.round(ms)} ms` : null) };
}

export function runFuzz(opts: { seed: number; cases: number; start?: number; onCase?: (index: number) => void }): FuzzReport {
  const report: FuzzReport = { cases: 0, failures: [], slowest: { index: -1, target: 'frame', ms: 0 } };
  const start = opts.start ?? 0;
  for (let index = start; index < start + opts.cases; index++) {
    const c = runCase(opts.seed, index);
    report.cases++;
    if (c.ms > report.slowest.ms) report.slowest = { index, target: c.target, ms: c.ms };
    if (c.failure) report.failures.push({ index, target: c.target, failure: c.failure, input: preview(c.input) });
    opts.onCase?.(index);
  }
  return report;
}

function preview(text: string): string {
  return text.length > 300 ? `${text.slice(0, 200)}…(${text.length} chars)…${text.slice(-60)}` : text;
}
