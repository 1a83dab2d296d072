/**
 * Row 3: one AI task (the real Claude Code CLI against a scripted model) dispatched through the agent with
 * confinement on, against the same CLI run directly with the same argv; and the confined agent against an
 * unconfined one, which is what confinement costs at start.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { buildClaudeArgs } from '../../src/claude/claude-args.js';
import { buildClaudeEnv } from '../../src/claude/claude-env.js';
import { taskMessage } from '../../src/claude/claude-executor.js';
import { probeConfinement } from '../../src/confine/cli-sandbox.js';
import { CLAUDE_CLI, claudeConfig } from '../support/claude-cli.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import { startAgent, type BenchContext, type Client } from './processes.js';
import { count, median, ms, ratio, type Row } from './stats.js';

interface Timing {
  /** Start (spawn or dispatch) to the model's first request. */
  toModel: number;
  /** Start to the result (the CLI's result line, or the result frame at the server). */
  toResult: number;
}

/** Runs the CLI directly as the agent would (same argv and environment), the task on stdin; times to the result line and to exit. */
function runDirect(argv: string[], env: NodeJS.ProcessEnv, cwd: string, firstRequest: () => number): Promise<Timing & { toExit: number }> {
  const t0 = performance.now();
  const child = spawn(CLAUDE_CLI, argv, { cwd, env, stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.on('error', () => undefined);
  child.stdin.write(taskMessage('hello', []));
  let toResult = Number.NaN;
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered = (buffered + d.toString()).slice(-65536);
    if (Number.isNaN(toResult) && buffered.includes('"type":"result"')) {
      toResult = performance.now() - t0;
      child.stdin.end();
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve({ toModel: firstRequest() - t0, toResult, toExit: performance.now() - t0 }));
  });
}

export async function aiRows(ctx: BenchContext): Promise<Row[]> {
  const { server, notes } = ctx;
  let lastRequestAt = 0;
  const model = await startFakeAnthropic(() => {
    lastRequestAt = performance.now();
    return { text: 'ok' };
  });
  const base = path.join(ctx.dir, 'ai-base');
  mkdirSync(base, { recursive: true });
  const available = await probeConfinement();
  const confinedMode = available.kind === 'bubblewrap' ? 'required' : 'auto';
  const claude = (sandbox: string): Record<string, unknown> => ({
    claude: {
      baseDirectory: base,
      executable: CLAUDE_CLI,
      sandbox,
      maxTasksPerHour: 10_000,
      env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'x', DISABLE_TELEMETRY: '1' },
    },
  });
  const agents: Client[] = [];
  try {
    const confined = await startAgent(server, path.join(ctx.dir, 'agent-ai-confined'), claude(confinedMode));
    agents.push(confined);
    const open = await startAgent(server, path.join(ctx.dir, 'agent-ai-open'), claude('off'));
    agents.push(open);

    const cfg = claudeConfig(model.url, { sandbox: 'off', env: { ANTHROPIC_API_KEY: 'x' } });
    const argv = buildClaudeArgs(cfg, { workingDirectory: base, settingsFile: null });
    const env = buildClaudeEnv(cfg, path.join(ctx.dir, 'ai-direct'));
    const viaAgent = async (c: Client): Promise<Timing & { inAgent: number; confinement: string }> => {
      lastRequestAt = 0;
      const t0 = performance.now();
      const r = await server.waitForResult(server.dispatch(c.agentId, { command_type: { claude_task: { task: 'hello' } }, command: '' }), 120_000);
      if (r.exit_code !== 0) throw new Error(`the AI task failed: ${r.reason ?? r.stderr.slice(0, 200)}`);
      return { toModel: lastRequestAt - t0, toResult: performance.now() - t0, inAgent: r.duration_ms, confinement: r.claude?.confinement ?? '' };
    };
    const direct = async (): Promise<Timing & { toExit: number }> => {
      lastRequestAt = 0;
      return runDirect(argv, env, base, () => lastRequestAt);
    };

    // One of each first, not counted: the first start of the CLI reads it from disk.
    await direct();
    await viaAgent(open);
    await viaAgent(confined);
    const runs = count(10, 2);
    const d: (Timing & { toExit: number })[] = [];
    const o: Awaited<ReturnType<typeof viaAgent>>[] = [];
    const c: Awaited<ReturnType<typeof viaAgent>>[] = [];
    for (let i = 0; i < runs; i++) {
      d.push(await direct());
      o.push(await viaAgent(open));
      c.push(await viaAgent(confined));
    }
    const m = <T>(xs: T[], f: (x: T) => number): number => median(xs.map(f));
    const [dRes, oRes, cRes] = [m(d, (x) => x.toResult), m(o, (x) => x.toResult), m(c, (x) => x.toResult)];
    const boxed = c[0]?.confinement ?? '';
    notes.add('3', `${runs} runs of each, alternating; medians. Start to the model's first request: CLI direct ${ms(m(d, (x) => x.toModel))}, ` +
      `unconfined agent ${ms(m(o, (x) => x.toModel))}, confined agent ${ms(m(c, (x) => x.toModel))}. ` +
      `CLI direct: result line at ${ms(dRes)}, exit at ${ms(m(d, (x) => x.toExit))}. ` +
      `Time the agent reports for the CLI (result.duration_ms): unconfined ${ms(m(o, (x) => x.inAgent))}, confined ${ms(m(c, (x) => x.inAgent))}. ` +
      `Confinement reported by the agent: "${boxed}".`);
    const confinedLabel = available.kind === 'bubblewrap' ? 'confined (sandbox required, bubblewrap)' : `NOT confined: ${available.reason}`;
    return [
      { id: '3a', what: `AI task through the agent, ${confinedLabel}, vs CLI direct`, agent: ms(cRes), floor: ms(dRes), ratio: ratio(cRes, dRes), goal: '', met: '' },
      { id: '3b', what: 'AI task through the agent, unconfined, vs CLI direct', agent: ms(oRes), floor: ms(dRes), ratio: ratio(oRes, dRes), goal: '', met: '' },
      { id: '3c', what: 'confinement start-up cost: confined vs unconfined agent', agent: `${ms(cRes)} (${cRes >= oRes ? '+' : '-'}${ms(Math.abs(cRes - oRes))})`, floor: ms(oRes), ratio: ratio(cRes, oRes), goal: '', met: '' },
    ];
  } finally {
    for (const a of agents) await a.stop();
    await model.close();
  }
}
