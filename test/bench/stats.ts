/** Numbers and the one table `npm run bench` prints: each figure next to its floor, the ratio, the goal and whether it is met. */

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const median = (xs: readonly number[]): number => percentile(xs, 50);

export const ms = (v: number): string => (Number.isNaN(v) ? 'n/a' : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`);
export const mb = (kib: number): string => `${(kib / 1024).toFixed(1)} MB`;
export const ratio = (value: number, floor: number): string =>
  !Number.isFinite(value) || !Number.isFinite(floor) ? 'n/a' : floor <= 0 ? (value <= 0 ? '1.00x' : 'n/a (floor 0)') : `${(value / floor).toFixed(2)}x`;

export interface Row {
  id: string;
  what: string;
  agent: string;
  floor: string;
  ratio: string;
  goal: string;
  /** 'yes' / 'NO' / '' (no goal). */
  met: string;
}

/** Scale of the run: BENCH_RUNS=10 (the default) is the full run; smaller values scale every count down. */
export const BENCH_RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 10) || 10);
const SCALE = Math.min(1, BENCH_RUNS / 10);

/** `full` at the full run, scaled down by BENCH_RUNS, never below `min`. */
export function count(full: number, min: number): number {
  return Math.max(min, Math.round(full * SCALE));
}

export const met = (ok: boolean): string => (ok ? 'yes' : 'NO');

/** A row for a measurement that could not be made, saying why. */
export function failedRow(id: string, what: string, err: unknown): Row {
  const text = err instanceof Error ? err.message : String(err);
  return { id, what, agent: `failed: ${text.replace(/\s+/g, ' ').trim().slice(0, 100)}`, floor: '', ratio: '', goal: '', met: '' };
}

/** The whole table as Markdown (readable in a terminal, pasted as is into docs/BENCHMARKS.md). */
export function markdownTable(rows: readonly Row[]): string {
  const header = ['#', 'measurement', 'agent', 'floor', 'ratio', 'goal', 'met'];
  const cells = rows.map((r) => [r.id, r.what, r.agent, r.floor, r.ratio, r.goal, r.met].map((c) => c.replace(/\|/g, '\\|')));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

/** Per-phase timings and other facts behind the figures, printed after the table. */
export class Notes {
  readonly lines: string[] = [];

  add(id: string, text: string): void {
    this.lines.push(`- ${id}: ${text}`);
  }
}

export function sleep(msToWait: number): Promise<void> {
  return new Promise((r) => setTimeout(r, msToWait));
}
