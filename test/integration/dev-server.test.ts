import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { parseConfig } from '../../src/contracts/config.js';
import { Agent } from '../../src/core/agent.js';
import { silentLogger } from '../../src/core/logger.js';
import { startDevServer, type DevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir } from '../support/agent-process.js';

const tmp = makeTempDir('dev-server-');
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/dev-server/dispatch-cli.ts');
let server: DevServer;
let agent: Agent;

before(async () => {
  server = await startDevServer({ apiKeys: ['good-key'] });
  const { config } = parseConfig({ serverUrl: server.agentUrl, apiKey: 'good-key' });
  agent = await Agent.create({ config, dataDir: path.join(tmp.dir, 'data'), logger: silentLogger });
  agent.start();
  await server.waitForAgent(20_000);
});

after(async () => {
  await agent.stop();
  await server.stop();
  tmp.cleanup();
});

function dispatchCli(...args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, '--server', server.httpUrl, '--token', server.adminToken, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

describe('dev server HTTP API', () => {
  test('needs the admin token and refuses cross-origin requests', async () => {
    assert.equal((await fetch(`${server.httpUrl}/api/agents`)).status, 401);
    const auth = { authorization: `Bearer ${server.adminToken}` };
    assert.equal((await fetch(`${server.httpUrl}/api/agents`, { headers: { ...auth, origin: 'http://evil.example' } })).status, 403);
    const ok = await fetch(`${server.httpUrl}/api/agents`, { headers: auth });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { agents: unknown[] }).agents.length, 1);
  });

  test('agents need the key: in the header (401 on upgrade) and in the auth frame (auth_error)', async () => {
    const noKey = new WebSocket(server.agentUrl);
    const status = await new Promise<number>((resolve) => noKey.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    assert.equal(status, 401);
    const ws = new WebSocket(server.agentUrl, { headers: { authorization: 'Bearer good-key' } });
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ type: 'auth', payload: { api_key: 'wrong', agent_id: 'x', hostname: 'h', os: 'o', os_version: 'v', agent_version: '0', capabilities: [] } }));
    const answer = await new Promise<string>((r) => ws.on('message', (d) => r(d.toString())));
    assert.equal(JSON.parse(answer).type, 'auth_error');
    ws.close();
  });
});

describe('dispatch CLI', () => {
  test('runs a shell command, streams its output and exits 0', async () => {
    const { code, out } = await dispatchCli('shell', 'echo hi from the cli');
    assert.equal(code, 0, out);
    assert.match(out, /hi from the cli/);
    assert.match(out, /result: succeeded, exit code 0/);
  });

  test('exits 1 when the command fails, and prints the reason', async () => {
    const { code, out } = await dispatchCli('shell', 'exit 4');
    assert.equal(code, 1);
    assert.match(out, /result: failed, exit code 4/);
  });

  test('lists agents and history; explains an unreachable server', async () => {
    assert.match((await dispatchCli('agents')).out, /connected/);
    assert.match((await dispatchCli('history', '--limit', '2')).out, /shell/);
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, '--server', 'http://127.0.0.1:9', '--token', 't', 'agents']);
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => child.on('exit', r));
    assert.equal(code, 1);
    assert.match(out, /Cannot reach the dev server/);
  });
});
