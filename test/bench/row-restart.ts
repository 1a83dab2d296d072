/**
 * Row 6: N results waiting unacknowledged (the dev server's acks off), the server stopped and a new one
 * started on the same port: time until all N have arrived at the new server. The agent reconnects with
 * its SPEC backoff (1 s initial, full jitter) and re-sends its outbox; the floor client retries every
 * 25 ms and re-sends what it holds in memory. A fresh agent each trial, so each is its first reconnect.
 */
import path from 'node:path';
import { DevServer } from '../../src/dev-server/dev-server.js';
import { API_KEY, startAgent, startFloor, whenConnected, type BenchContext, type Client } from './processes.js';
import { count, median, ms, ratio, sleep, type Row } from './stats.js';

interface Trial {
  total: number;
  /** From the stop to the new server listening. */
  listening: number;
  /** From the stop to the first re-sent result at the new server (the client is back). */
  first: number;
}

async function trial(ctx: BenchContext, c: Client, n: number): Promise<Trial> {
  const old = ctx.server;
  old.setAutoAck(false);
  const ids = Array.from({ length: n }, () => old.dispatch(c.agentId, { command_type: 'shell', command: 'true' }));
  await Promise.all(ids.map((id) => old.waitForResult(id, 60_000)));
  await sleep(200);
  const next = new DevServer({ port: old.port, apiKeys: [API_KEY] });
  let first = 0;
  const arrived = ids.map((id) => next.waitForResult(id, 120_000).then(() => (first ||= performance.now())));
  const t0 = performance.now();
  await old.stop();
  await next.start();
  ctx.server = next;
  const listening = performance.now() - t0;
  await Promise.all(arrived);
  return { total: performance.now() - t0, listening, first: first - t0 };
}

export async function restartRows(ctx: BenchContext): Promise<Row[]> {
  const n = count(50, 10);
  const trials = count(5, 2);
  const floor = await startFloor(ctx.server, ctx.dir);
  const a: Trial[] = [];
  const f: Trial[] = [];
  try {
    for (let i = 0; i < trials; i++) {
      const agent = await startAgent(ctx.server, path.join(ctx.dir, `agent-restart-${i}`));
      try {
        a.push(await trial(ctx, agent, n));
        await whenConnected(ctx.server, floor.agentId);
        f.push(await trial(ctx, floor, n));
        await whenConnected(ctx.server, agent.agentId);
        // The new server acknowledges: both outboxes empty before the next trial.
        await sleep(300);
      } finally {
        await agent.stop();
      }
    }
  } finally {
    await floor.stop();
  }
  const m = (xs: Trial[], k: keyof Trial): number => median(xs.map((t) => t[k]));
  const flush = (xs: Trial[]): number => median(xs.map((t) => t.total - t.first));
  const [at, ft] = [m(a, 'total'), m(f, 'total')];
  ctx.notes.add('6', `${trials} trials of ${n} pending results, medians. New server listening after ${ms(m(a, 'listening'))}; ` +
    `first re-sent result in after: agent ${ms(m(a, 'first'))} (each trial: ${a.map((t) => t.first.toFixed(0)).join(', ')} ms), ` +
    `floor ${ms(m(f, 'first'))}; from the first to the last of the ${n}: agent ${ms(flush(a))}, floor ${ms(flush(f))}.`);
  return [{ id: '6', what: `server restart to ${n} pending results flushed`, agent: ms(at), floor: ms(ft), ratio: ratio(at, ft), goal: '', met: '' }];
}
