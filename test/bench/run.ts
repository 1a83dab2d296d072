/**
 * `npm run bench`: the agent measured against floors taken in the same run (the machine is shared and
 * noisy, so an absolute time means little on its own). Prints one Markdown table, then the per-phase
 * figures behind it. Environment: BENCH_RUNS (10 = full run; smaller scales every count down),
 * BENCH_IDLE_SECONDS (row 5's window, default 60), BENCH_ROWS (e.g. "1,2,5": only those rows), BENCH_AGENT=tsx
 * (run the agent from source through tsx instead of the built tree; rows 5 and 7 always use the built tree).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer } from '../../src/dev-server/dev-server.js';
import { agentForm, API_KEY, ensureBuiltPatiently, type BenchContext } from './processes.js';
import { aiRows } from './row-ai.js';
import { commandRows } from './row-commands.js';
import { idleRows } from './row-idle.js';
import { outputRows } from './row-output.js';
import { renderRows } from './row-render.js';
import { restartRows } from './row-restart.js';
import { startupRows } from './row-startup.js';
import { BENCH_RUNS, failedRow, markdownTable, Notes, type Row } from './stats.js';

const ROWS: { id: string; what: string; run: (ctx: BenchContext) => Promise<Row[]> }[] = [
  { id: '1-2', what: 'shell commands: echo round trip and burst', run: commandRows },
  { id: '3', what: 'AI task', run: aiRows },
  { id: '4', what: '50 MB of output', run: outputRows },
  { id: '5', what: 'idle agent', run: idleRows },
  { id: '6', what: 'server restart to outbox flushed', run: restartRows },
  { id: '7', what: 'agent start to authenticated', run: startupRows },
  { id: '8', what: 'the window in Chromium through the console', run: () => renderRows() },
];

function wanted(id: string): boolean {
  const only = process.env.BENCH_ROWS?.split(',').map((s) => s.trim()).filter(Boolean);
  return !only || id.split('-').some((n) => only.includes(n));
}

function machine(): string {
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `nproc ${nproc} (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}, node ${process.version}, ` +
    `${new Date().toISOString()}, load average at start ${load}, BENCH_RUNS=${BENCH_RUNS}`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gururmm-bench-'));
  const notes = new Notes();
  const server = await startDevServer({ apiKeys: [API_KEY] });
  const ctx: BenchContext = { server, dir, notes };
  let build: string;
  try {
    const b = await ensureBuiltPatiently();
    build = b.compiled ? `compiled before the rows (${(b.ms / 1000).toFixed(1)} s)` : 'up to date';
    if (b.failures) build += ` (after ${b.failures} failed attempt(s) on sources being edited)`;
  } catch (err) {
    // Rows 5 and 7 need the built tree and will say so; the others can run the sources.
    agentForm.current = 'tsx';
    build = `FAILED (${(err as Error).message.slice(0, 200)}), so the agent runs from source`;
  }
  const form = agentForm.current === 'tsx' ? 'the agent from source through tsx' : 'the agent from the built tree (dist/), as `npm run agent` runs it';
  const header = `${machine()}; ${form}; build ${build}`;
  process.stderr.write(`${header}\n`);
  const rows: Row[] = [];
  try {
    for (const r of ROWS) {
      if (!wanted(r.id)) continue;
      const t0 = performance.now();
      process.stderr.write(`row ${r.id}: ${r.what}...\n`);
      try {
        rows.push(...(await r.run(ctx)));
      } catch (err) {
        rows.push(failedRow(r.id, r.what, err));
      }
      process.stderr.write(`row ${r.id} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    await ctx.server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`Machine: ${header}\n`);
  console.log(markdownTable(rows));
  console.log(`\nBehind the figures:\n${notes.lines.join('\n')}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
