/**
 * Row 4: a command writing 50 MB to stdout, through the agent (which keeps a capped head and tail and
 * streams capped progress) against `sh -c '<cmd> > /dev/null'`; and the agent's peak RSS growth meanwhile,
 * next to the floor client's (which keeps the whole output, as a client without a cap would).
 */
import path from 'node:path';
import type { DevServer } from '../../src/dev-server/dev-server.js';
import { cpuMs, PeakWatch, timeRun } from './proc.js';
import { startAgent, startFloor, type BenchContext, type Client } from './processes.js';
import { count, mb, median, met, ms, ratio, sleep, type Row } from './stats.js';

const BYTES = 50 * 1024 * 1024;
export const BIG = `yes "2026-01-01T00:00:00Z INFO worker[42] a line of output from a chatty command" | head -c ${BYTES}`;

interface Run {
  ms: number;
  growthKiB: number;
  cpuMs: number;
  inProcess: number;
  progressBytes: number;
  stdoutChars: number;
}

async function through(server: DevServer, c: Client): Promise<Run> {
  const watch = new PeakWatch(c.pid, 5);
  const cpu0 = cpuMs(c.pid);
  const t0 = performance.now();
  const id = server.dispatch(c.agentId, { command_type: 'shell', command: BIG });
  const r = await server.waitForResult(id, 300_000);
  const elapsed = performance.now() - t0;
  const growthKiB = watch.stop();
  if (r.exit_code !== 0) throw new Error(`the 50 MB command failed: ${r.reason ?? ''}`);
  const progressBytes = (server.command(id)?.progress ?? []).reduce((s, p) => s + p.data.length, 0);
  return { ms: elapsed, growthKiB, cpuMs: cpuMs(c.pid) - cpu0, inProcess: r.duration_ms, progressBytes, stdoutChars: r.stdout.length };
}

export async function outputRows(ctx: BenchContext): Promise<Row[]> {
  const { server, notes } = ctx;
  const agent = await startAgent(server, path.join(ctx.dir, 'agent-output'));
  const floor = await startFloor(server, ctx.dir);
  try {
    await server.waitForResult(server.dispatch(agent.agentId, { command_type: 'shell', command: 'echo warm' }));
    await timeRun('/bin/sh', ['-c', `${BIG} > /dev/null`]);
    const runs = count(3, 1);
    const direct: number[] = [];
    const viaAgent: Run[] = [];
    const viaFloor: Run[] = [];
    for (let i = 0; i < runs; i++) {
      direct.push(await timeRun('/bin/sh', ['-c', `${BIG} > /dev/null`]));
      viaAgent.push(await through(server, agent));
      await sleep(500);
      viaFloor.push(await through(server, floor));
      await sleep(500);
    }
    const [at, dt] = [median(viaAgent.map((r) => r.ms)), median(direct)];
    const ag = Math.max(...viaAgent.map((r) => r.growthKiB));
    const fg = Math.max(...viaFloor.map((r) => r.growthKiB));
    const a0 = viaAgent[0]!;
    notes.add('4', `${runs} run(s); time is the median, growth the worst. Spawn to exit inside the agent (result.duration_ms) ${ms(median(viaAgent.map((r) => r.inProcess)))}; ` +
      `agent CPU per run ${ms(median(viaAgent.map((r) => r.cpuMs)))}; result stdout ${(a0.stdoutChars / 1024).toFixed(0)} KiB (capped), ` +
      `progress frames carried ${(a0.progressBytes / 1024).toFixed(0)} KiB. Floor client (keeps everything, sends a 50 MB result): ` +
      `${ms(median(viaFloor.map((r) => r.ms)))}, CPU ${ms(median(viaFloor.map((r) => r.cpuMs)))}.`);
    return [
      { id: '4a', what: '50 MB of output: dispatch to result', agent: ms(at), floor: `${ms(dt)} (sh > /dev/null)`, ratio: ratio(at, dt), goal: '', met: '' },
      { id: '4b', what: '50 MB of output: peak RSS growth', agent: mb(ag), floor: `${mb(fg)} (floor client)`, ratio: ratio(ag, fg), goal: '<= 16 MB', met: met(ag <= 16 * 1024) },
    ];
  } finally {
    await agent.stop();
    await floor.stop();
  }
}
