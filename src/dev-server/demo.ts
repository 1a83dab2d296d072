/**
 * `npm run demo`: a local dev RMM server + the agent with its console (the window, in a browser) + (without
 * ANTHROPIC_API_KEY) an offline model for AI tasks, all on 127.0.0.1. Dispatches `echo hi`, shows the
 * result, and prints the console URL and how to dispatch more. `--approval` makes every AI task wait for
 * Allow in the window; `--ask` lets AI tasks ask the local user before editing a file (claude.askTools).
 * `--once` also runs one AI task and exits (0 when both succeeded).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeAnthropic, type FakeAnthropic } from '../../test/support/fake-anthropic.js';
import type { CommandResultPayload } from '../contracts/wire.js';
import { demoModelScript } from './demo-model.js';
import { DevServer } from './dev-server.js';
import { defaultDevStatePath, writeDevState } from './dev-state.js';

const root = process.cwd();
const demoDir = path.join(root, '.demo');
const workspace = path.join(demoDir, 'workspace');
const once = process.argv.includes('--once');
const approval = process.argv.includes('--approval');
const ask = process.argv.includes('--ask');

async function startServer(apiKey: string): Promise<DevServer> {
  try {
    return await new DevServer({ port: 8710, apiKeys: [apiKey] }).start();
  } catch {
    return new DevServer({ port: 0, apiKeys: [apiKey] }).start();
  }
}

function prepareWorkspace(): void {
  mkdirSync(path.join(workspace, 'logs'), { recursive: true });
  const now = Date.now();
  const at = (h: number): string => new Date(now - h * 3600_000).toISOString();
  writeFileSync(
    path.join(workspace, 'logs', 'sync.log'),
    [`${at(30)} INFO sync started`, `${at(20)} ERROR share fs01/docs unreachable (timeout)`, `${at(5)} INFO sync finished`, `${at(2)} ERROR 3 files skipped: access denied`, ''].join('\n'),
  );
  writeFileSync(path.join(workspace, 'logs', 'error.log'), `${at(2)} ERROR access denied on Q:\\Finance\\2026.xlsx\n`);
}

function printResult(label: string, r: CommandResultPayload): void {
  console.log(`\n=== ${label}: ${r.status} (exit code ${r.exit_code}, ${r.duration_ms} ms)${r.reason ? ` — ${r.reason}` : ''}`);
  if (r.stdout) console.log(r.stdout.replace(/\n$/, ''));
  if (r.stderr) console.log(`[stderr] ${r.stderr.replace(/\n$/, '')}`);
}

async function main(): Promise<number> {
  mkdirSync(demoDir, { recursive: true, mode: 0o700 });
  prepareWorkspace();
  const apiKey = randomBytes(18).toString('base64url');
  const server = await startServer(apiKey);
  await writeDevState(defaultDevStatePath(root), { httpUrl: server.httpUrl, token: server.adminToken, agentUrl: server.agentUrl, apiKey });

  let model: FakeAnthropic | null = null;
  const claudeEnv: Record<string, string> = {};
  if (!process.env.ANTHROPIC_API_KEY) {
    model = await startFakeAnthropic(demoModelScript);
    claudeEnv.ANTHROPIC_BASE_URL = model.url;
    claudeEnv.ANTHROPIC_API_KEY = 'offline-demo';
  }
  const configPath = path.join(demoDir, 'agent.json');
  writeFileSync(
    configPath,
    JSON.stringify(
      {
        version: 1,
        serverUrl: server.agentUrl,
        apiKey,
        approvalRequired: approval,
        claude: {
          baseDirectory: workspace,
          executable: process.env.CLAUDE_EXECUTABLE ?? path.join(root, 'node_modules', '.bin', 'claude'),
          ...(ask ? { askTools: ['Edit(./**)'] } : {}),
          env: claudeEnv,
        },
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );

  // The agent entry next to this file: dist/…/main.js when built, src/…/main.ts under a TypeScript loader.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const agentEntry = fileURLToPath(new URL(`../headless/main${ext}`, import.meta.url));
  const agent = spawn(process.execPath, [...process.execArgv, agentEntry, '--config', configPath, '--data-dir', path.join(demoDir, 'data'), '--console-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let consoleUrl: string | null = null;
  const relay = (d: Buffer): void => {
    for (const line of d.toString().split('\n')) {
      if (!line.trim()) continue;
      consoleUrl ??= /^console: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/.exec(line.trim())?.[1] ?? null;
      console.log(`[agent] ${line}`);
    }
  };
  agent.stdout.on('data', relay);
  agent.stderr.on('data', relay);
  const agentExit = new Promise<number>((r) => agent.on('exit', (code) => r(code ?? 1)));

  const shutdown = async (): Promise<void> => {
    if (agent.exitCode === null) agent.kill('SIGTERM');
    await agentExit;
    await server.stop();
    await model?.close();
  };

  try {
    const { agent_id } = await Promise.race([
      server.waitForAgent(60_000),
      agentExit.then((code) => {
        throw new Error(`the agent exited with code ${code} before connecting`);
      }),
    ]);
    const hi = server.dispatch(agent_id, { command_type: 'shell', command: 'echo hi', requested_by: 'demo' });
    const hiResult = await server.waitForResult(hi, 60_000);
    printResult('echo hi', hiResult);
    let ok = hiResult.status === 'succeeded';
    if (once) {
      const ai = server.dispatch(agent_id, {
        command_type: { claude_task: { task: 'Check the sync log for errors in the last 24 hours', working_directory: 'logs', context_files: ['sync.log'] } },
        command: '',
        requested_by: 'demo',
        timeout_seconds: 120,
      });
      server.subscribe(ai, (e) => {
        if (e.type === 'progress' && e.data.kind !== 'stderr') console.log(`  [${e.data.kind}] ${e.data.data.trim()}`);
      });
      const aiResult = await server.waitForResult(ai, 180_000);
      printResult('AI task', aiResult);
      ok &&= aiResult.status === 'succeeded';
      await shutdown();
      return ok ? 0 : 1;
    }
    console.log(`
The demo is running: dev RMM server ${server.agentUrl}, agent ${agent_id}${model ? ', offline model for AI tasks' : ', AI tasks use ANTHROPIC_API_KEY'}.

Open the agent's window (what the person at the workstation sees) in your browser:

  ${consoleUrl ?? '(the console did not start; see the [agent] lines above)'}
${approval ? '\nEvery AI task waits for Allow or Deny in that window.\n' : '\n(Run `npm run demo -- --approval` to have AI tasks wait for Allow in the window.)\n'}${ask ? '\nAI tasks may ask to edit files in their folder: the window shows the exact change, and you allow or deny it:\n\n  npm run dispatch -- ai "Mark the errors in the sync log as reviewed" --cwd logs --context sync.log\n' : '(Run `npm run demo -- --ask` to let AI tasks ask you, in the window, before they edit a file.)\n'}
In another terminal, in this directory:

  npm run dispatch -- shell "echo hi"
  npm run dispatch -- python "print(6*7)"
  npm run dispatch -- ai "Check the sync log for errors in the last 24 hours" --cwd logs --context sync.log
  npm run dispatch -- history

AI tasks may only work inside ${workspace}. Press Ctrl-C to stop.`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
      void agentExit.then(() => resolve());
    });
    await shutdown();
    return 0;
  } catch (err) {
    console.error(`The demo failed: ${(err as Error).message}`);
    await shutdown();
    return 1;
  }
}

main().then((code) => process.exit(code));
