import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { startDevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir, startAgentProcess, stopAgentProcess } from '../support/agent-process.js';

const tmp = makeTempDir('agent-elev-');
after(() => tmp.cleanup());

test('elevated: true is refused by an agent that is not elevated; it never tries to elevate', async () => {
  // When the tests run as root, the agent is started as "nobody" so that it is really not elevated.
  const asRoot = process.getuid?.() === 0;
  const NOBODY = 65534;
  const dataDir = path.join(tmp.dir, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  chmodSync(tmp.dir, 0o755);
  if (asRoot) chownSync(dataDir, NOBODY, NOBODY);
  const server = await startDevServer({ apiKeys: ['k'] });
  const agent = startAgentProcess({
    dir: tmp.dir,
    dataDir,
    config: { serverUrl: server.agentUrl, apiKey: 'k' },
    env: { HOME: dataDir },
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  try {
    const { agent_id } = await server.waitForAgent(30_000);
    const id = server.dispatch(agent_id, { command_type: 'shell', command: 'id -u', elevated: true });
    const r = await server.waitForResult(id);
    assert.equal(r.exit_code, -1);
    assert.equal(r.status, 'refused');
    assert.match(r.reason ?? '', /elevated/);
    const plain = await server.waitForResult(server.dispatch(agent_id, { command_type: 'shell', command: 'id -u' }));
    assert.equal(plain.exit_code, 0);
    assert.notEqual(plain.stdout.trim(), '0');
  } finally {
    await stopAgentProcess(agent);
    await server.stop();
  }
});
