/** The real headless agent restarted over damaged state files: it keeps its id, and what guards the user fails safe. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDevServer, type DevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir, startAgentProcess, stopAgentProcess, type AgentProcess } from '../support/agent-process.js';
import { waitFor } from '../support/wait.js';

const tmp = makeTempDir('state-dur-');
let server: DevServer;
before(async () => {
  server = await startDevServer({ apiKeys: ['k'] });
});
after(async () => {
  await server.stop();
  tmp.cleanup();
});

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
const STACK_LINE = /^\s+at /m;

interface Run {
  dir: string;
  dataDir: string;
  config: Record<string, unknown>;
  agent: AgentProcess;
  agentId: string;
}

/** Starts the agent on `run`'s data directory and waits until the server sees it; returns its id. */
async function boot(run: Omit<Run, 'agent' | 'agentId'>): Promise<Run> {
  const agent = startAgentProcess({ dir: run.dir, config: run.config, dataDir: run.dataDir });
  const line = await agent.waitForOutput(/agent [0-9a-f-]{36} running/, 30_000);
  const agentId = line.split(' ')[1]!;
  await server.waitForAgent(30_000, agentId);
  return { ...run, agent, agentId };
}

async function halt(run: Run, how: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (how === 'SIGKILL') {
    run.agent.child.kill('SIGKILL');
    await run.agent.exited;
  } else {
    assert.equal(await stopAgentProcess(run.agent), 0);
  }
  await waitFor(() => !server.agents().some((a) => a.agent_id === run.agentId && a.connected), 10_000, 'the server saw the agent go');
}

/** The exit code, or 'still running' (and then stopped) when the agent did not exit within `ms`. */
async function exitWithin(p: AgentProcess, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('still running'), ms);
  });
  const code = await Promise.race([p.exited, late]);
  clearTimeout(timer);
  if (code === 'still running') await stopAgentProcess(p);
  return code;
}

function setUp(name: string, extra: Record<string, unknown> = {}): Omit<Run, 'agent' | 'agentId'> {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  return { dir, dataDir: path.join(dir, 'data'), config: { serverUrl: server.agentUrl, apiKey: 'k', ...extra } };
}

describe('the agent id survives damage to identity.json', () => {
  test('crash + corrupt identity.json: same agent id after restart, the orphaned process tree is stopped', async () => {
    let run = await boot(setUp('crash'));
    const pidFile = path.join(run.dir, 'pid');
    const id = server.dispatch(run.agentId, { command_type: 'shell', command: `sleep 300 & echo $! > ${pidFile}; wait` });
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 10_000, 'command started');
    const orphan = Number(readFileSync(pidFile, 'utf8'));
    await halt(run, 'SIGKILL');
    writeFileSync(path.join(run.dataDir, 'identity.json'), '{"agent_id": "'); // torn by the crash
    const firstId = run.agentId;
    try {
      run = await boot(run);
      assert.equal(run.agentId, firstId, 'the server sees the same machine');
      const r = await server.waitForResult(id, 30_000);
      assert.equal(r.status, 'interrupted');
      await waitFor(() => !alive(orphan), 10_000, `the orphan ${orphan} of the crashed run was stopped`);
      assert.deepEqual(JSON.parse(readFileSync(path.join(run.dataDir, 'identity.json'), 'utf8')), { agent_id: firstId });
      assert.ok(readdirSync(run.dataDir).some((f) => f.startsWith('identity.json.corrupt-')), 'the torn copy is kept');
      assert.match(run.agent.output(), /identity\.json was unreadable .*restored from identity\.backup\.json/);
    } finally {
      if (alive(orphan)) process.kill(orphan, 'SIGKILL');
      await halt(run);
    }
  });

  test('a restart that read the id fine writes neither copy again', async () => {
    let run = await boot(setUp('norewrite'));
    await halt(run);
    const files = ['identity.json', 'identity.backup.json'].map((f) => path.join(run.dataDir, f)).filter((f) => existsSync(f));
    const stamp = (): string[] => files.map((f) => `${statSync(f).ino}:${statSync(f).mtimeMs}:${readFileSync(f, 'utf8')}`);
    const before = stamp();
    run = await boot(run);
    await halt(run);
    assert.deepEqual(stamp(), before);
  });

  test('both copies unreadable in a used data directory: exit 1 with one line saying what to do, nothing rewritten', async () => {
    const run = await boot(setUp('lost'));
    await halt(run);
    writeFileSync(path.join(run.dataDir, 'identity.json'), '{"agent_id": "');
    writeFileSync(path.join(run.dataDir, 'identity.backup.json'), '');
    const known = server.agents().length;
    const p = startAgentProcess({ dir: run.dir, config: run.config, dataDir: run.dataDir });
    assert.equal(await exitWithin(p, 20_000), 1, p.output());
    assert.match(p.output(), /The agent's identity is lost: .*Restore identity\.json from a backup.* The agent did not start\./);
    assert.doesNotMatch(p.output(), STACK_LINE);
    assert.doesNotMatch(p.output(), /agent [0-9a-f-]{36} running/);
    assert.equal(readFileSync(path.join(run.dataDir, 'identity.json'), 'utf8'), '{"agent_id": "');
    assert.equal(server.agents().length, known, 'no new machine registered');
  });
});

describe('unreadable pause and rate files fail safe', () => {
  test('a torn pause.json: the agent comes up paused, says why, and stays paused across a restart', async () => {
    let run = await boot(setUp('pause'));
    await halt(run);
    writeFileSync(path.join(run.dataDir, 'pause.json'), '{"paused": fal');
    run = await boot(run);
    try {
      const r = await server.waitForResult(server.dispatch(run.agentId, { command_type: 'shell', command: 'echo ran' }));
      assert.equal(r.exit_code, -1);
      assert.match(r.reason ?? '', /paused by the local user/);
      assert.equal(r.stdout, '');
      assert.match(run.agent.output(), /pause\.json was unreadable .*remote execution stays paused until you resume it/);
      await halt(run);
      run = await boot(run);
      const again = await server.waitForResult(server.dispatch(run.agentId, { command_type: 'shell', command: 'echo ran' }));
      assert.match(again.reason ?? '', /paused/, 'still paused after a restart');
    } finally {
      await halt(run);
    }
  });

  test('a torn rate-limit.json: no AI task starts for a full hour from when it was found, restart or not', async () => {
    const base = path.join(tmp.dir, 'rate-base');
    mkdirSync(base, { recursive: true });
    let run = await boot(setUp('rate', { claude: { baseDirectory: base, executable: '/bin/true', maxTasksPerHour: 4 } }));
    await halt(run);
    writeFileSync(path.join(run.dataDir, 'rate-limit.json'), '{"starts": [{"at": 17');
    const found = Date.now();
    run = await boot(run);
    const nextSlot = async (): Promise<number> => {
      const r = await server.waitForResult(server.dispatch(run.agentId, { command_type: { claude_task: { task: 'summarise the logs' } }, command: '' }));
      assert.equal(r.exit_code, -1);
      const m = /Rate limit reached: 4 AI tasks per hour\. Next slot at (\S+)Z\./.exec(r.reason ?? '');
      assert.ok(m, `refused by the rate limit, not: ${r.reason}`);
      return Date.parse(`${m[1]}Z`);
    };
    try {
      const slot = await nextSlot();
      assert.match(run.agent.output(), /rate-limit\.json was unreadable .*no AI task starts until/);
      assert.ok(Math.abs(slot - (found + 3_600_000)) < 30_000, `next slot ${new Date(slot).toISOString()} is an hour after the loss was found`);
      await halt(run);
      run = await boot(run);
      assert.equal(await nextSlot(), slot, 'a restart does not hand out a fresh budget');
    } finally {
      await halt(run);
    }
  });
});
