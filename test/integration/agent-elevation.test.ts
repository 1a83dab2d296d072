import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startDevServer, type DevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir, startAgentProcess, stopAgentProcess } from '../support/agent-process.js';

const tmp = makeTempDir('agent-elev-');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NOBODY = 65534;
let server: DevServer;

before(async () => {
  server = await startDevServer({ apiKeys: ['k'] });
});
after(async () => {
  await server.stop();
  tmp.cleanup();
});

/** Whether an unprivileged user can reach the project (every parent directory searchable by others). */
function reachableByOthers(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (path.dirname(d) === d) return true;
  }
}

async function runAs(name: string, user: { uid: number; gid: number } | null): Promise<{ elevatedResult: { exit_code: number; status: string; reason: string | null; stdout: string }; uid: string }> {
  const dataDir = path.join(tmp.dir, name);
  mkdirSync(dataDir, { mode: 0o700 });
  chmodSync(tmp.dir, 0o755);
  if (user) chownSync(dataDir, user.uid, user.gid);
  const agent = startAgentProcess({ dir: dataDir, dataDir, config: { serverUrl: server.agentUrl, apiKey: 'k' }, env: { HOME: dataDir }, ...(user ?? {}) });
  try {
    const line = await agent.waitForOutput(/agent [0-9a-f-]{36} running/, 30_000);
    const { agent_id } = await server.waitForAgent(30_000, line.split(' ')[1]);
    const elevatedResult = await server.waitForResult(server.dispatch(agent_id, { command_type: 'shell', command: 'id -u', elevated: true }));
    const plain = await server.waitForResult(server.dispatch(agent_id, { command_type: 'shell', command: 'id -u' }));
    return { elevatedResult, uid: plain.stdout.trim() };
  } finally {
    await stopAgentProcess(agent);
  }
}

test('elevated: true runs on an elevated agent, and is refused (never elevated) on one that is not', async () => {
  const asRoot = process.getuid?.() === 0;
  const own = await runAs('own', null);
  if (asRoot) {
    assert.equal(own.elevatedResult.exit_code, 0);
    assert.equal(own.elevatedResult.stdout.trim(), '0');
  } else {
    assert.equal(own.elevatedResult.exit_code, -1);
    assert.match(own.elevatedResult.reason ?? '', /elevated/);
  }
  if (!asRoot) return;
  if (!reachableByOthers(ROOT)) {
    console.log(`not run as an unprivileged user: ${ROOT} is not reachable by other users`);
    return;
  }
  // As root, also start the agent as "nobody", so that it is really not elevated.
  const nobody = await runAs('nobody', { uid: NOBODY, gid: NOBODY });
  assert.equal(nobody.elevatedResult.exit_code, -1);
  assert.equal(nobody.elevatedResult.status, 'refused');
  assert.match(nobody.elevatedResult.reason ?? '', /elevated/);
  assert.equal(nobody.uid, String(NOBODY));
});
