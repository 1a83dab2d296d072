/**
 * The local user's consent beyond single AI tasks: shell commands held for Allow / Deny (shellApproval),
 * a level the user may raise but never lower below the policy, and time-boxed grants for one technician's
 * AI tasks that end on pause.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../../src/contracts/config.js';
import { Agent } from '../../src/core/agent.js';
import { silentLogger } from '../../src/core/logger.js';
import { startDevServer, type DevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir } from '../support/agent-process.js';
import { CLAUDE_CLI } from '../support/claude-cli.js';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import { waitFor } from '../support/wait.js';

const tmp = makeTempDir('agent-consent-');
const base = path.join(tmp.dir, 'base');
let server: DevServer;
let model: FakeAnthropic;
let seq = 0;

before(async () => {
  mkdirSync(base, { recursive: true });
  server = await startDevServer({ apiKeys: ['k'] });
  model = await startFakeAnthropic(() => ({ text: 'ok' }));
});

after(async () => {
  await server.stop();
  await model.close();
  tmp.cleanup();
});

async function startAgent(extra: Record<string, unknown>, dataDir = path.join(tmp.dir, `data${++seq}`)): Promise<{ agent: Agent; id: string; dataDir: string }> {
  const { config } = parseConfig({
    serverUrl: server.agentUrl,
    apiKey: 'k',
    approvalTimeoutSeconds: 5,
    ...extra,
    claude: { baseDirectory: base, executable: CLAUDE_CLI, sandbox: 'off', env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'x' } },
  });
  const agent = await Agent.create({ config, dataDir, logger: silentLogger });
  agent.start();
  await server.waitForAgent(20_000, agent.agentId);
  return { agent, id: agent.agentId, dataDir };
}

const card = (agent: Agent, id: string) => agent.snapshot().awaitingApproval.find((a) => a.commandId === id);

describe('consent', () => {
  test('shellApproval consent: a command waits for the local user; Allow runs it, Deny and no answer refuse it', async () => {
    const { agent, id } = await startAgent({ shellApproval: 'consent' });
    const marker = path.join(tmp.dir, 'consent-ran');
    try {
      const allowed = server.dispatch(id, { command_type: 'shell', command: 'echo allowed', requested_by: 'tech' });
      await waitFor(() => card(agent, allowed) !== undefined, 10_000, 'the consent card');
      assert.deepEqual({ kind: card(agent, allowed)!.kind, task: card(agent, allowed)!.task }, { kind: 'shell', task: 'echo allowed' });
      agent.approve(allowed);
      assert.equal((await server.waitForResult(allowed)).stdout, 'allowed\n');

      const denied = server.dispatch(id, { command_type: 'shell', command: `touch ${marker}`, requested_by: 'tech' });
      await waitFor(() => card(agent, denied) !== undefined, 10_000, 'the consent card');
      agent.deny(denied);
      const r = await server.waitForResult(denied);
      assert.equal(r.exit_code, -1);
      assert.match(r.reason ?? '', /denied by the local user/);
      const unanswered = await server.waitForResult(server.dispatch(id, { command_type: 'shell', command: `touch ${marker}` }), 15_000);
      assert.match(unanswered.reason ?? '', /no answer within 5 s/);
      assert.equal(existsSync(marker), false, 'a refused command ran');
    } finally {
      await agent.stop();
    }
  });

  test('the local user may raise shell consent, never lower it below the policy; a torn settings file means consent', async () => {
    const raised = await startAgent({ shellApproval: 'off' });
    try {
      await raised.agent.setShellApproval('consent');
      assert.deepEqual(raised.agent.snapshot().shellApproval, { policy: 'off', effective: 'consent' });
      const held = server.dispatch(raised.id, { command_type: 'shell', command: 'echo held' });
      await waitFor(() => card(raised.agent, held) !== undefined, 10_000, 'held after the user raised the level');
      raised.agent.deny(held);
      await server.waitForResult(held);
    } finally {
      await raised.agent.stop();
    }
    const forced = await startAgent({ shellApproval: 'consent' });
    try {
      await forced.agent.setShellApproval('off');
      assert.deepEqual(forced.agent.snapshot().shellApproval, { policy: 'consent', effective: 'consent' });
    } finally {
      await forced.agent.stop();
    }
    const dataDir = path.join(tmp.dir, `data${++seq}`);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(dataDir, 'local-settings.json'), '{"shellAppro');
    const torn = await startAgent({ shellApproval: 'off' }, dataDir);
    try {
      assert.equal(torn.agent.snapshot().shellApproval.effective, 'consent');
    } finally {
      await torn.agent.stop();
    }
  });

  test('a grant lets the same technician\'s next AI task start without a card, not another\'s; it is listed, revocable, and ends on pause', async () => {
    const { agent, id } = await startAgent({ approvalRequired: true, approvalGrantMinutes: 60 });
    const ai = (who: string): string => server.dispatch(id, { command_type: { claude_task: { task: 'Check the logs' } }, command: '', requested_by: who });
    try {
      const first = ai('alice');
      await waitFor(() => card(agent, first) !== undefined, 10_000, 'the first card');
      assert.equal(card(agent, first)!.grantMinutes, 60);
      agent.approve(first, true);
      assert.equal((await server.waitForResult(first, 30_000)).exit_code, 0);
      assert.deepEqual(agent.snapshot().grants.map((g) => g.requester), ['alice']);

      const again = ai(' Alice ');
      const r = await server.waitForResult(again, 30_000);
      assert.equal(r.exit_code, 0, 'the granted technician\'s task started without a card');
      const [record] = await server.requestHistory(id, 1);
      assert.deepEqual(record?.decisions.map((d) => d.by), ['grant']);

      const other = ai('bob');
      await waitFor(() => card(agent, other) !== undefined, 10_000, 'another technician still gets a card');
      agent.deny(other);
      await server.waitForResult(other);

      assert.equal(agent.revokeGrant('alice'), true);
      const afterRevoke = ai('alice');
      await waitFor(() => card(agent, afterRevoke) !== undefined, 10_000, 'asks again after revoke');
      agent.approve(afterRevoke, true);
      await server.waitForResult(afterRevoke, 30_000);
      await agent.pause(null);
      assert.deepEqual(agent.snapshot().grants, [], 'a pause ends every grant');
    } finally {
      await agent.stop();
    }
  });
});
