/**
 * Row 5: a connected agent doing nothing, built as `npm run agent` runs it (plain node, no tsx loader),
 * watched over the same window as the idle floor client: CPU (utime+stime) and resident memory.
 */
import path from 'node:path';
import { CPU_TICK_MS, cpuMs, rssKiB } from './proc.js';
import { startBuiltAgent, startFloor, type BenchContext } from './processes.js';
import { mb, met, ms, ratio, sleep, type Row } from './stats.js';

const SETTLE_MS = 3000;

export async function idleRows(ctx: BenchContext): Promise<Row[]> {
  const { server, notes } = ctx;
  const seconds = Math.max(5, Number(process.env.BENCH_IDLE_SECONDS ?? 60) || 60);
  const agent = await startBuiltAgent(server, path.join(ctx.dir, 'agent-idle'));
  const floor = await startFloor(server, ctx.dir);
  try {
    await sleep(SETTLE_MS);
    const c0 = { a: cpuMs(agent.pid), f: cpuMs(floor.pid) };
    const rss = { a: [] as number[], f: [] as number[] };
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      await sleep(1000);
      rss.a.push(rssKiB(agent.pid));
      rss.f.push(rssKiB(floor.pid));
    }
    const elapsedMin = (performance.now() - t0) / 60_000;
    const perMin = { a: (cpuMs(agent.pid) - c0.a) / elapsedMin, f: (cpuMs(floor.pid) - c0.f) / elapsedMin };
    const end = { a: rss.a.at(-1)!, f: rss.f.at(-1)! };
    const max = { a: Math.max(...rss.a), f: Math.max(...rss.f) };
    notes.add('5', `window ${seconds} s after ${SETTLE_MS / 1000} s of settling; CPU resolution ${CPU_TICK_MS} ms. RSS at the end of the window ` +
      `(highest during it): agent ${mb(end.a)} (${mb(max.a)}), floor ${mb(end.f)} (${mb(max.f)}). The agent runs from the built tree whatever BENCH_AGENT says.`);
    return [
      { id: '5a', what: `idle CPU, per minute (${seconds} s window)`, agent: ms(perMin.a), floor: ms(perMin.f), ratio: ratio(perMin.a, perMin.f), goal: '<= 40 ms/min', met: met(perMin.a <= 40) },
      { id: '5b', what: 'idle RSS', agent: mb(end.a), floor: mb(end.f), ratio: ratio(end.a, end.f), goal: '<= 70 MB', met: met(end.a <= 70 * 1024) },
    ];
  } finally {
    await agent.stop();
    await floor.stop();
  }
}
