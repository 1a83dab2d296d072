/**
 * The local user approves what the AI does, one action at a time (claude.askTools), with the real CLI as
 * the one asking: allowed edits happen, denied ones do not and the model is told, actions outside both
 * lists never reach the user, and with nobody to ask everything is denied at once.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../../src/contracts/config.js';
import { Agent } from '../../src/core/agent.js';
import { silentLogger } from '../../src/core/logger.js';
import { startDevServer, type DevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir } from '../support/agent-process.js';
import { CLAUDE_CLI } from '../support/claude-cli.js';
import { startFakeAnthropic, type FakeAnthropic, type Turn } from '../support/fake-anthropic.js';
import { waitFor } from '../support/wait.js';

const tmp = makeTempDir('agent-asks-');
const base = path.join(tmp.dir, 'base');
let server: DevServer;
let model: FakeAnthropic;
/** What the model asks for in the current task (turn 0 is its first request). */
let turns: Turn[] = [];
/** Index of the current task's first request among all the model has answered. */
let first = 0;
let seq = 0;

before(async () => {
  mkdirSync(base, { recursive: true });
  server = await startDevServer({ apiKeys: ['k'] });
  model = await startFakeAnthropic((_req, i) => turns[i - first] ?? { text: 'done' });
});

after(async () => {
  await server.stop();
  await model.close();
  tmp.cleanup();
});

async function startAgent(claude: Record<string, unknown> = {}): Promise<{ agent: Agent; id: string; work: string }> {
  const work = path.join(base, `share${++seq}`);
  mkdirSync(work);
  writeFileSync(path.join(work, 'app.conf'), 'port = 80\n');
  const { config } = parseConfig({
    serverUrl: server.agentUrl,
    apiKey: 'k',
    claude: {
      baseDirectory: base, executable: CLAUDE_CLI, env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'x' },
      askTools: ['Edit(./**)', 'Bash(systemctl restart:*)'], askTimeoutSeconds: 3, ...claude,
    },
  });
  const agent = await Agent.create({ config, dataDir: path.join(tmp.dir, `data${seq}`), logger: silentLogger });
  agent.start();
  await server.waitForAgent(20_000, agent.agentId);
  return { agent, id: agent.agentId, work };
}

function dispatch(agentId: string, work: string): string {
  first = model.requests.length;
  return server.dispatch(agentId, { command_type: { claude_task: { task: 'Fix the port', working_directory: path.basename(work) } }, command: '', requested_by: 'tech' });
}

/** The model's n-th request of the current task. */
const request = (n: number): { lastUserText: string } => model.requests[first + n]!;

/** The CLI edits only a file it has read: a Read (allowed inside the working directory), then the Edit. */
const editTurns = (work: string): Turn[] => [
  { toolUse: { name: 'Read', input: { file_path: path.join(work, 'app.conf') } } },
  { toolUse: { name: 'Edit', input: { file_path: path.join(work, 'app.conf'), old_string: 'port = 80', new_string: 'port = 8080' } } },
];

describe('asking the local user about each action', () => {
  test('an Edit is shown with its change; Allow once applies it, and the decision is recorded', async () => {
    const { agent, id, work } = await startAgent();
    const detach = agent.attachWindow();
    try {
      turns = editTurns(work);
      const cmd = dispatch(id, work);
      await waitFor(() => agent.snapshot().asks.length === 1, 20_000, 'the ask');
      const ask = agent.snapshot().asks[0]!;
      assert.equal(ask.tool, 'Edit');
      assert.equal(ask.summary, 'Edit app.conf');
      assert.match(ask.detail, /- port = 80\n\+ port = 8080/);
      assert.equal(ask.requestedBy, 'tech');
      await waitFor(() => server.agents().find((a) => a.agent_id === id)?.status?.waiting_for_local_user?.includes(cmd) ?? false, 5000, 'the server told the task waits for the user');
      assert.equal(agent.answerAsk(ask.askId, 'allow'), true);
      const r = await server.waitForResult(cmd, 30_000);
      assert.equal(r.exit_code, 0, JSON.stringify(r));
      assert.equal(readFileSync(path.join(work, 'app.conf'), 'utf8'), 'port = 8080\n');
      const [record] = await server.requestHistory(id, 1);
      assert.ok(record?.decisions.some((d) => d.decision === 'allow: Edit app.conf' && d.by === 'user'), JSON.stringify(record?.decisions));
      assert.ok(server.command(cmd)!.progress.some((p) => p.data.includes('waiting for the local user: Edit app.conf')));
    } finally {
      detach();
      await agent.stop();
    }
  });

  test('Deny leaves the file untouched and the model is told; no answer in time is a denial too', async () => {
    const { agent, id, work } = await startAgent();
    const detach = agent.attachWindow();
    try {
      turns = editTurns(work);
      const denied = dispatch(id, work);
      await waitFor(() => agent.snapshot().asks.length === 1, 20_000, 'the ask');
      agent.answerAsk(agent.snapshot().asks[0]!.askId, 'deny');
      const r = await server.waitForResult(denied, 30_000);
      assert.equal(readFileSync(path.join(work, 'app.conf'), 'utf8'), 'port = 80\n');
      assert.match(request(2).lastUserText, /Denied by the local user/);
      assert.equal(r.claude?.permission_denials.length, 1, JSON.stringify(r.claude));

      turns = editTurns(work);
      const unanswered = dispatch(id, work);
      await server.waitForResult(unanswered, 30_000);
      assert.match(request(2).lastUserText, /did not answer within 3 s/);
      assert.equal(readFileSync(path.join(work, 'app.conf'), 'utf8'), 'port = 80\n');
      const [record] = await server.requestHistory(id, 1);
      assert.ok(record?.decisions.some((d) => d.by === 'timeout'), JSON.stringify(record?.decisions));
    } finally {
      detach();
      await agent.stop();
    }
  });

  test('a Bash ask shows the whole command; a command outside both lists never reaches the user', async () => {
    const { agent, id, work } = await startAgent();
    const detach = agent.attachWindow();
    try {
      const long = `systemctl restart nginx --no-block --job-mode=${'x'.repeat(500)}`;
      turns = [
        { toolUse: { name: 'Bash', input: { command: 'rm -rf /important', description: 'clean' } } },
        { toolUse: { name: 'Bash', input: { command: long, description: 'restart' } } },
      ];
      const cmd = dispatch(id, work);
      await waitFor(() => agent.snapshot().asks.length === 1, 20_000, 'the ask');
      const ask = agent.snapshot().asks[0]!;
      assert.equal(ask.detail, long, 'the whole command is shown');
      assert.match(request(1).lastUserText, /does not allow this action/);
      agent.answerAsk(ask.askId, 'deny-and-stop');
      const r = await server.waitForResult(cmd, 30_000);
      assert.equal(r.status, 'cancelled', JSON.stringify(r));
      assert.equal(r.reason, 'stopped by the local user');
    } finally {
      detach();
      await agent.stop();
    }
  });

  test('with no window or console open, or with askLocalUser false, asks are denied at once', async () => {
    for (const claude of [{}, { askLocalUser: false }]) {
      const { agent, id, work } = await startAgent(claude);
      const detach = 'askLocalUser' in claude ? agent.attachWindow() : () => undefined;
      try {
        turns = editTurns(work);
        const started = Date.now();
        const r = await server.waitForResult(dispatch(id, work), 30_000);
        assert.equal(r.exit_code, 0, JSON.stringify(r));
        assert.ok(Date.now() - started < 3000 + 5000, 'it waited for an answer');
        assert.match(request(2).lastUserText, 'askLocalUser' in claude ? /askLocalUser is false/ : /no window or console is open/);
        assert.equal(readFileSync(path.join(work, 'app.conf'), 'utf8'), 'port = 80\n');
      } finally {
        detach();
        await agent.stop();
      }
    }
  });
});
