/**
 * Rows 1 and 2: shell commands through the real agent against the floor client, both connected to the
 * same dev server at the same time and measured alternately, so the machine's noise falls on both.
 */
import { spawn } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { CommandResultPayload } from '../../src/contracts/wire.js';
import { describeContainment } from '../../src/confine/containment.js';
import type { DevServer } from '../../src/dev-server/dev-server.js';
import { spawnTree } from '../../src/exec/process-tree.js';
import { cpuMs, PeakWatch } from './proc.js';
import { startAgent, startFloor, type BenchContext, type Client } from './processes.js';
import { count, mb, median, met, ms, percentile, ratio, sleep, type Row } from './stats.js';

const ECHO = { command_type: 'shell', command: 'echo hi' };
const TRUE = { command_type: 'shell', command: 'true' };

async function roundTrip(server: DevServer, c: Client, payload: Record<string, unknown>): Promise<{ ms: number; result: CommandResultPayload }> {
  const t0 = performance.now();
  const result = await server.waitForResult(server.dispatch(c.agentId, payload));
  return { ms: performance.now() - t0, result };
}

interface Burst {
  ms: number;
  /** RSS when the burst began, in KiB. */
  startKiB: number;
  firstMs: number;
  growthKiB: number;
  cpuMs: number;
  failed: number;
}

async function burst(server: DevServer, c: Client, n: number): Promise<Burst> {
  const watch = new PeakWatch(c.pid);
  const cpu0 = cpuMs(c.pid);
  const t0 = performance.now();
  let firstMs = 0;
  const ids = Array.from({ length: n }, () => server.dispatch(c.agentId, TRUE));
  const results = await Promise.all(
    ids.map((id) =>
      server.waitForResult(id, 600_000).then((r) => {
        firstMs ||= performance.now() - t0;
        return r;
      }),
    ),
  );
  const elapsed = performance.now() - t0;
  const growthKiB = watch.stop();
  return { ms: elapsed, startKiB: watch.baseKiB, firstMs, growthKiB, cpuMs: cpuMs(c.pid) - cpu0, failed: results.filter((r) => r.exit_code !== 0).length };
}

/** p50 of one small append + fdatasync on the file system holding the agent's data (the agent does two per command). */
function fdatasyncP50(dir: string, n = 200): number {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(path.join(dir, 'fsync-probe.jsonl'), 'a');
  const line = Buffer.from(`${JSON.stringify({ e: 'finish', id: 'x'.repeat(36), stdout: 'hi\n', pad: 'y'.repeat(400) })}\n`);
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      writeSync(fd, line);
      fdatasyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
  }
  return median(times);
}

/**
 * Spawn to exit of `sh -c 'echo hi'` in this process, p50 of `n`, three ways: a plain spawn (the floor
 * client's), the agent's spawnTree without containment (own process group, marker), and with it (per-command cgroup).
 */
async function spawnCosts(n = 200): Promise<{ plain: number; tree: number; contained: number }> {
  const plain = (): Promise<void> =>
    new Promise((resolve) => {
      const c = spawn('/bin/sh', ['-c', 'echo hi'], { stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout.resume();
      c.on('close', () => resolve());
    });
  const tree = async (containment: boolean): Promise<void> => {
    const t = spawnTree('/bin/sh', ['-c', 'echo hi'], { env: process.env, ...(containment ? { containment: 'auto' as const } : {}) });
    t.child.stdout?.resume();
    t.child.stderr?.resume();
    await t.exited;
  };
  const times = { plain: [] as number[], tree: [] as number[], contained: [] as number[] };
  for (let i = 0; i < n; i++) {
    for (const [k, run] of [['plain', plain], ['tree', () => tree(false)], ['contained', () => tree(true)]] as const) {
      const t0 = performance.now();
      await run();
      times[k].push(performance.now() - t0);
    }
  }
  return { plain: median(times.plain), tree: median(times.tree), contained: median(times.contained) };
}

export async function commandRows(ctx: BenchContext): Promise<Row[]> {
  const { server } = ctx;
  const agent = await startAgent(server, path.join(ctx.dir, 'agent-commands'));
  const floor = await startFloor(server, ctx.dir);
  try {
    return [...(await echoRows(ctx, agent, floor)), ...(await burstRows(ctx, agent, floor))];
  } finally {
    await agent.stop();
    await floor.stop();
  }
}

async function echoRows(ctx: BenchContext, agent: Client, floor: Client): Promise<Row[]> {
  const { server, notes } = ctx;
  for (let i = 0; i < 20; i++) {
    await roundTrip(server, agent, ECHO);
    await roundTrip(server, floor, ECHO);
  }
  const n = count(500, 20);
  const a: number[] = [];
  const f: number[] = [];
  const aRest: number[] = [];
  const fRest: number[] = [];
  const aExec: number[] = [];
  const fExec: number[] = [];
  const cpu0 = { a: cpuMs(agent.pid), f: cpuMs(floor.pid) };
  for (let i = 0; i < n; i++) {
    // Alternate who goes first, so neither always follows the other's garbage or page cache.
    for (const side of i % 2 ? [agent, floor] : [floor, agent]) {
      const { ms: t, result } = await roundTrip(server, side, ECHO);
      (side === agent ? a : f).push(t);
      (side === agent ? aExec : fExec).push(result.duration_ms);
      (side === agent ? aRest : fRest).push(t - result.duration_ms);
    }
  }
  const cpu = { a: (cpuMs(agent.pid) - cpu0.a) / n, f: (cpuMs(floor.pid) - cpu0.f) / n };
  const [a50, f50, a99, f99] = [median(a), median(f), percentile(a, 99), percentile(f, 99)];
  const sync = fdatasyncP50(path.join(ctx.dir, 'agent-commands', 'data'));
  const sp = await spawnCosts();
  notes.add('1', `${n} commands each. Inside the process (spawn to exit, result.duration_ms) p50: agent ${ms(median(aExec))}, floor ${ms(median(fExec))}; ` +
    `the rest of each round trip (frames, bookkeeping, disk; duration_ms is in whole ms) p50: agent ${ms(median(aRest))}, floor ${ms(median(fRest))}. ` +
    `CPU (utime+stime) per command: agent ${cpu.a.toFixed(2)} ms, floor ${cpu.f.toFixed(2)} ms. ` +
    `One small append + fdatasync on the agent's data file system: p50 ${ms(sync)} (the agent does two per command, start and finish). ` +
    `Spawn to exit of sh -c 'echo hi' in the bench process, p50: plain spawn ${ms(sp.plain)}, the agent's spawnTree ${ms(sp.tree)}, ` +
    `spawnTree with containment (${describeContainment().mechanism}) ${ms(sp.contained)}.`);
  return [
    { id: '1a', what: `echo round trip p50 (${n} cmds)`, agent: ms(a50), floor: ms(f50), ratio: ratio(a50, f50), goal: '<= 1.25x floor', met: met(a50 <= 1.25 * f50) },
    { id: '1b', what: `echo round trip p99 (${n} cmds)`, agent: ms(a99), floor: ms(f99), ratio: ratio(a99, f99), goal: '', met: '' },
  ];
}

async function burstRows(ctx: BenchContext, agent: Client, floor: Client): Promise<Row[]> {
  const { server, notes } = ctx;
  const n = count(1000, 50);
  const reps = count(3, 1);
  const a: Burst[] = [];
  const f: Burst[] = [];
  for (let i = 0; i < reps; i++) {
    for (const side of i % 2 ? [floor, agent] : [agent, floor]) {
      (side === agent ? a : f).push(await burst(server, side, n));
      // Let acknowledgements land and the process settle before the next burst.
      await sleep(1000);
    }
  }
  const time = (xs: Burst[]): number => median(xs.map((b) => b.ms));
  const worst = (xs: Burst[]): number => Math.max(...xs.map((b) => b.growthKiB));
  const [at, ft, ag, fg] = [time(a), time(f), worst(a), worst(f)];
  const failed = [...a, ...f].reduce((s, b) => s + b.failed, 0);
  notes.add('2', `${n} \`true\` commands dispatched at once, ${reps} time(s) each, alternating; time is the median, growth the worst. ` +
    `First result after: agent ${ms(median(a.map((b) => b.firstMs)))}, floor ${ms(median(f.map((b) => b.firstMs)))}. ` +
    `CPU used by the process per burst (utime+stime): agent ${ms(median(a.map((b) => b.cpuMs)))} (${(median(a.map((b) => b.cpuMs)) / n).toFixed(2)} ms/command), ` +
    `floor ${ms(median(f.map((b) => b.cpuMs)))} (${(median(f.map((b) => b.cpuMs)) / n).toFixed(2)} ms/command).` +
    ` Each agent burst in order (time, RSS at its start -> peak): ${a.map((b) => `${ms(b.ms)}, ${mb(b.startKiB)} -> ${mb(b.startKiB + b.growthKiB)}`).join('; ')}.` +
    (failed ? ` ${failed} results had a non-zero exit code.` : ''));
  return [
    { id: '2a', what: `burst of ${n} \`true\`, all results in`, agent: ms(at), floor: ms(ft), ratio: ratio(at, ft), goal: '<= 1.5x floor', met: met(at <= 1.5 * ft) },
    { id: '2b', what: 'burst: peak RSS growth', agent: mb(ag), floor: mb(fg), ratio: ratio(ag, fg), goal: '<= 32 MB', met: met(ag <= 32 * 1024) },
  ];
}
