/**
 * The agent's side of an AI task's confinement, with the real CLI: the working directory swapped while
 * the task waits for the local user, a stop that lands right after Allow, and what the UI is told.
 */
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { probeConfinement } from '../../src/confine/cli-sandbox.js';
import { parseConfig } from '../../src/contracts/config.js';
import { Agent } from '../../src/core/agent.js';
import { silentLogger } from '../../src/core/logger.js';
import { startDevServer, type DevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir } from '../support/agent-process.js';
import { CLAUDE_CLI } from '../support/claude-cli.js';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import { waitFor } from '../support/wait.js';

const tmp = makeTempDir('agent-confine-');
const base = path.join(tmp.dir, 'base');
let server: DevServer;
let model: FakeAnthropic;
let seq = 0;

before(async () => {
  mkdirSync(base, { recursive: true });
  server = await startDevServer({ apiKeys: ['k'] });
  model = await startFakeAnthropic(() => ({ toolUse: { name: 'Read', input: { file_path: 'marker.txt' } } }));
});

after(async () => {
  await server.stop();
  await model.close();
  tmp.cleanup();
});

async function startAgent(claude: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<{ agent: Agent; id: string }> {
  const { config } = parseConfig({
    serverUrl: server.agentUrl,
    apiKey: 'k',
    ...extra,
    claude: { baseDirectory: base, executable: CLAUDE_CLI, env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'x' }, ...claude },
  });
  const agent = await Agent.create({ config, dataDir: path.join(tmp.dir, `data${++seq}`), logger: silentLogger });
  agent.start();
  await server.waitForAgent(20_000, agent.agentId);
  return { agent, id: agent.agentId };
}

/** A share with a marker inside, and an outside directory with its own marker, for each test. */
function share(): { name: string; dir: string; outside: string } {
  const name = `share${++seq}`;
  const dir = path.join(base, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'marker.txt'), 'inside\n');
  const outside = path.join(tmp.dir, `outside${seq}`);
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'marker.txt'), 'ESCAPED-MARKER\n');
  return { name, dir, outside };
}

describe('AI-task confinement through the agent', () => {
  test('a working directory replaced by a symlink while the task awaits approval is refused on Allow; nothing runs', async () => {
    const { agent, id } = await startAgent({}, { approvalRequired: true });
    const s = share();
    const before = model.requests.length;
    try {
      const cmd = server.dispatch(id, { command_type: { claude_task: { task: 'Check the marker', working_directory: s.name } }, command: '', requested_by: 'tech' });
      await waitFor(() => agent.snapshot().awaitingApproval.some((a) => a.commandId === cmd), 10_000, 'the approval card');
      renameSync(s.dir, `${s.dir}.moved`);
      symlinkSync(s.outside, s.dir);
      assert.equal(agent.approve(cmd), true);
      const r = await server.waitForResult(cmd, 20_000);
      assert.equal(r.exit_code, -1, JSON.stringify(r));
      assert.equal(r.status, 'refused');
      assert.match(r.reason ?? '', /working directory changed between the check and the start/);
      assert.equal(model.requests.length, before, 'the CLI talked to the model');
      assert.equal(agent.snapshot().claude.budget.used, 0, 'a refused start used a rate-limit slot');
      const [record] = await server.requestHistory(id, 1);
      assert.equal(record?.status, 'refused');
      assert.deepEqual(record?.decisions.map((d) => d.decision), ['allow']);
    } finally {
      await agent.stop();
    }
  });

  test('a stop right after Allow is never lost: the task is cancelled and the CLI never gets it', async () => {
    const { agent, id } = await startAgent({}, { approvalRequired: true });
    const s = share();
    const before = model.requests.length;
    try {
      const cmd = server.dispatch(id, { command_type: { claude_task: { task: 'Check the marker', working_directory: s.name } }, command: '', requested_by: 'tech' });
      await waitFor(() => agent.snapshot().awaitingApproval.some((a) => a.commandId === cmd), 10_000, 'the approval card');
      assert.equal(agent.approve(cmd), true);
      assert.equal(agent.stopTask(cmd), true);
      const r = await server.waitForResult(cmd, 20_000);
      assert.equal(r.status, 'cancelled', JSON.stringify(r));
      assert.equal(r.reason, 'stopped by the local user');
      assert.equal(model.requests.length, before, 'the task reached the model');
    } finally {
      await agent.stop();
    }
  });

  test('the snapshot says how AI tasks are confined; "required" without a sandbox makes them unavailable with the reason', async () => {
    const available = await probeConfinement();
    const { agent } = await startAgent({ sandbox: 'required' });
    try {
      const claude = agent.snapshot().claude;
      if (available.kind === 'bubblewrap') {
        assert.deepEqual(claude.confinement, { confined: true, detail: 'confined by bubblewrap', warning: null });
        assert.equal(claude.available, true);
      } else {
        assert.equal(claude.available, false);
        assert.match(claude.problem ?? '', /claude\.sandbox is "required"/);
      }
    } finally {
      await agent.stop();
    }
    const off = await startAgent({ sandbox: 'off' });
    try {
      assert.deepEqual(off.agent.snapshot().claude.confinement, { confined: false, detail: 'not confined (claude.sandbox is off)', warning: null });
    } finally {
      await off.agent.stop();
    }
  });
});
