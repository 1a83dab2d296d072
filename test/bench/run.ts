/**
 * `npm run bench`: the agent's overhead, measured as ratios against the same work done directly in
 * the same run (the machine is shared and noisy, so absolute times mean little on their own).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildClaudeArgs } from '../../src/claude/claude-args.js';
import { buildClaudeEnv } from '../../src/claude/claude-env.js';
import { taskMessage } from '../../src/claude/claude-executor.js';
import { probeConfinement } from '../../src/confine/cli-sandbox.js';
import { parseConfig } from '../../src/contracts/config.js';
import { Agent } from '../../src/core/agent.js';
import { silentLogger } from '../../src/core/logger.js';
import { startDevServer } from '../../src/dev-server/dev-server.js';
import { CLAUDE_CLI, claudeConfig } from '../support/claude-cli.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function run(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string; untilLine?: RegExp } = {}): Promise<number> {
  const t0 = performance.now();
  const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'ignore'] });
  if (opts.stdin) child.stdin.write(opts.stdin);
  child.stdout.on('data', (d: Buffer) => {
    if (opts.untilLine?.test(d.toString())) child.stdin.end();
  });
  if (!opts.untilLine) child.stdin.end();
  child.stdout.resume();
  return new Promise((resolve) => child.on('close', () => resolve(performance.now() - t0)));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gururmm-bench-'));
  const base = path.join(dir, 'base');
  mkdirSync(base);
  const server = await startDevServer({ apiKeys: ['k'] });
  const model = await startFakeAnthropic(() => ({ text: 'ok' }));
  const { config } = parseConfig({
    serverUrl: server.agentUrl,
    apiKey: 'k',
    claude: { baseDirectory: base, executable: CLAUDE_CLI, sandbox: 'off', maxTasksPerHour: 10_000, env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'x' } },
  });
  const agent = await Agent.create({ config, dataDir: path.join(dir, 'data'), logger: silentLogger });
  agent.start();
  const { agent_id } = await server.waitForAgent();
  const rows: [string, string, string, string][] = [];

  // 1. A trivial shell command: dispatch -> result through the agent, against spawning it directly.
  const direct: number[] = [];
  const viaAgent: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    direct.push(await run('/bin/sh', ['-c', 'true']));
    const t0 = performance.now();
    await server.waitForResult(server.dispatch(agent_id, { command_type: 'shell', command: 'true' }));
    viaAgent.push(performance.now() - t0);
  }
  rows.push(['shell `true`, dispatch -> result', `${median(viaAgent).toFixed(1)} ms`, `${median(direct).toFixed(1)} ms`, (median(viaAgent) / median(direct)).toFixed(2)]);

  // 2. An AI task: dispatch -> result through the agent, against running the CLI directly with the same argv.
  const cfg = claudeConfig(model.url, { sandbox: 'off' });
  const argv = buildClaudeArgs(cfg, { workingDirectory: base, settingsFile: null });
  const env = buildClaudeEnv(cfg, path.join(dir, 'direct'));
  const cliDirect: number[] = [];
  const aiViaAgent: number[] = [];
  const toSpawn: number[] = [];
  const aiRuns = Math.max(3, Math.floor(RUNS / 3));
  for (let i = 0; i < aiRuns; i++) {
    cliDirect.push(await run(CLAUDE_CLI, argv, { cwd: base, env, stdin: taskMessage('hello', []), untilLine: /"type":"result"/ }));
    let spawnedAt = 0;
    const off = agent.on('notify', (n) => {
      if (n.title === 'AI task started') spawnedAt = performance.now();
    });
    const t0 = performance.now();
    await server.waitForResult(server.dispatch(agent_id, { command_type: { claude_task: { task: 'hello' } }, command: '' }), 60_000);
    aiViaAgent.push(performance.now() - t0);
    toSpawn.push(spawnedAt - t0);
    off();
  }
  rows.push(['AI task, dispatch -> result', `${median(aiViaAgent).toFixed(0)} ms`, `${median(cliDirect).toFixed(0)} ms`, (median(aiViaAgent) / median(cliDirect)).toFixed(2)]);
  rows.push(['AI task, dispatch -> CLI spawn', `${median(toSpawn).toFixed(1)} ms`, '', '']);

  // 2b. The same AI task confined by bubblewrap (claude.sandbox: required), against the unconfined agent above.
  if ((await probeConfinement()).kind === 'bubblewrap') {
    const confined = parseConfig({ ...config, claude: { ...config.claude, sandbox: 'required' } }).config;
    const confinedAgent = await Agent.create({ config: confined, dataDir: path.join(dir, 'data-confined'), logger: silentLogger });
    confinedAgent.start();
    await server.waitForAgent(20_000, confinedAgent.agentId);
    const boxed: number[] = [];
    for (let i = 0; i < aiRuns; i++) {
      const t0 = performance.now();
      await server.waitForResult(server.dispatch(confinedAgent.agentId, { command_type: { claude_task: { task: 'hello' } }, command: '' }), 60_000);
      boxed.push(performance.now() - t0);
    }
    await confinedAgent.stop();
    rows.push(['AI task confined, dispatch -> result', `${median(boxed).toFixed(0)} ms`, `${median(cliDirect).toFixed(0)} ms`, (median(boxed) / median(cliDirect)).toFixed(2)]);
    rows.push(['  confinement start-up cost (vs unconfined)', `+${(median(boxed) - median(aiViaAgent)).toFixed(0)} ms`, '', (median(boxed) / median(aiViaAgent)).toFixed(2)]);
  }

  // 3. Output throughput: 50 MB through the agent (capped result), against discarding it directly.
  const big = 'head -c 52428800 /dev/zero | tr "\\0" x';
  const rawBig = await run('/bin/sh', ['-c', `${big} > /dev/null`]);
  const t0 = performance.now();
  await server.waitForResult(server.dispatch(agent_id, { command_type: 'shell', command: big }), 120_000);
  const agentBig = performance.now() - t0;
  rows.push(['50 MB of output, dispatch -> result', `${agentBig.toFixed(0)} ms`, `${rawBig.toFixed(0)} ms`, (agentBig / rawBig).toFixed(2)]);

  await agent.stop();
  await server.stop();
  await model.close();
  rmSync(dir, { recursive: true, force: true });

  const header: [string, string, string, string] = ['what', 'through the agent', 'directly', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
