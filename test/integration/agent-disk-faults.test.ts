/**
 * The agent on a data dir that fills up (a real small tmpfs): a command is refused when not even its
 * start can be stored, and a result is sent only once it is stored, so an id never gets two results.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { parseConfig } from '../../src/contracts/config.js';
import { Agent } from '../../src/core/agent.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { startDevServer, type DevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir } from '../support/agent-process.js';
import { fillUp, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';
import { waitFor } from '../support/wait.js';

const tmp = makeTempDir('agent-disk-');
const mounts: Tmpfs[] = [];
let server: DevServer;
/** Longer than the agent's 5 s between offers of a held result to the disk. */
const ONE_RETRY_MS = 6000;

before(async () => {
  server = await startDevServer({ apiKeys: ['k'] });
});

after(async () => {
  await server.stop();
  for (const m of mounts) m.unmount();
  tmp.cleanup();
});

/** A fresh 1 MiB tmpfs for a data dir, or null once the test has been skipped with the reason. */
function smallDisk(t: TestContext): Tmpfs | null {
  const m = mountTmpfs(1024 * 1024);
  if ('skip' in m) {
    t.skip(m.skip);
    return null;
  }
  mounts.push(m);
  return m;
}

async function startAgent(dataDir: string): Promise<{ agent: Agent; id: string; logger: MemoryLogger }> {
  const { config } = parseConfig({ serverUrl: server.agentUrl, apiKey: 'k' });
  const logger = new MemoryLogger();
  const agent = await Agent.create({ config, dataDir, logger });
  agent.start();
  await waitFor(() => agent.connectionState === 'connected', 20_000, 'the agent connected');
  await server.waitForAgent(20_000, agent.agentId);
  return { agent, id: agent.agentId, logger };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const logText = (dataDir: string): string => readFileSync(path.join(dataDir, 'commands.jsonl'), 'utf8');

/**
 * Dispatches a command that waits for a go file, then prints 6,000 bytes: its finish line is larger
 * than any slack left in the log file's last page, so a full disk cannot take it. Resolves once the
 * start is stored and the command is running.
 */
async function startWaitingCommand(agent: Agent, agentId: string, dataDir: string, go: string): Promise<string> {
  const cmd = server.dispatch(agentId, {
    command_type: 'shell',
    command: `while [ ! -e '${go}' ]; do sleep 0.05; done; head -c 6000 /dev/zero | tr '\\0' a; echo; echo finished`,
  });
  await waitFor(() => agent.snapshot().running.some((r) => r.record.id === cmd), 10_000, 'the command is running');
  assert.ok(logText(dataDir).includes(`"e":"start","id":"${cmd}"`), 'the start was stored before the command ran');
  return cmd;
}

/** Lets the waiting command finish on a full disk; resolves once the agent has held its result back. */
async function finishOnFullDisk(logger: MemoryLogger, cmd: string, go: string): Promise<void> {
  writeFileSync(go, '');
  await waitFor(
    () => logger.lines.some((l) => l.level === 'error' && l.message.startsWith('could not store a result') && l.meta?.commandId === cmd),
    10_000,
    'the agent could not store the result',
  );
}

describe('the agent on a full disk', () => {
  test('a result the disk will not store is not sent; once space is back it is stored, then sent exactly once', async (t) => {
    const disk = smallDisk(t);
    if (!disk) return;
    const { agent, id, logger } = await startAgent(disk.dir);
    try {
      const go = path.join(tmp.dir, 'go-held');
      const cmd = await startWaitingCommand(agent, id, disk.dir, go);
      const filler = path.join(disk.dir, 'filler');
      fillUp(filler);
      await finishOnFullDisk(logger, cmd, go);
      await sleep(ONE_RETRY_MS);
      assert.equal(server.results(cmd).length, 0, 'no result is sent while it cannot be stored');

      unlinkSync(filler);
      const r = await server.waitForResult(cmd, 10_000);
      assert.equal(r.exit_code, 0);
      assert.match(r.stdout, /^a{6000}\nfinished\n$/);
      assert.ok(logText(disk.dir).includes(`"e":"finish","id":"${cmd}"`), 'the result was stored');
      await sleep(1500);
      assert.equal(server.results(cmd).length, 1, 'the result was sent exactly once');
    } finally {
      await agent.stop();
    }
  });

  test('stopped while a result is held: the next start reports the command interrupted, the only result the server gets', async (t) => {
    const disk = smallDisk(t);
    if (!disk) return;
    const first = await startAgent(disk.dir);
    const go = path.join(tmp.dir, 'go-stopped');
    const filler = path.join(disk.dir, 'filler');
    let cmd: string;
    try {
      cmd = await startWaitingCommand(first.agent, first.id, disk.dir, go);
      fillUp(filler);
      await finishOnFullDisk(first.logger, cmd, go);
    } finally {
      await first.agent.stop();
    }
    assert.equal(server.results(cmd).length, 0, 'the held result was never sent');

    unlinkSync(filler);
    const second = await startAgent(disk.dir);
    try {
      assert.equal(second.id, first.id);
      const r = await server.waitForResult(cmd, 10_000);
      assert.equal(r.status, 'interrupted');
      assert.equal(r.exit_code, -1);
      await sleep(1500);
      assert.equal(server.results(cmd).length, 1, 'the server saw exactly one result for the id');
    } finally {
      await second.agent.stop();
    }
  });

  test('a command that arrives while the disk is full is refused naming the data dir, never runs, and a repeat gets the same answer', async (t) => {
    const disk = smallDisk(t);
    if (!disk) return;
    const { agent, id } = await startAgent(disk.dir);
    try {
      const filler = path.join(disk.dir, 'filler');
      fillUp(filler);
      const marker = path.join(tmp.dir, 'ran-while-full');
      const payload = { command_type: 'shell', command: `echo ran >> '${marker}'` };
      const cmd = server.dispatch(id, payload);
      const r = await server.waitForResult(cmd, 10_000);
      assert.equal(r.status, 'refused');
      assert.equal(r.exit_code, -1);
      assert.match(r.reason ?? '', /could not record this command on disk, so it did not run it/);
      assert.ok(r.reason?.includes(disk.dir), `the reason names the data dir: ${r.reason}`);

      server.dispatch(id, { ...payload, id: cmd });
      await waitFor(() => server.results(cmd).length === 2, 10_000, 'the repeat is answered');
      unlinkSync(filler);
      server.dispatch(id, { ...payload, id: cmd });
      await waitFor(() => server.results(cmd).length === 3, 10_000, 'the repeat after space is back is answered');
      assert.deepEqual(server.results(cmd).slice(1), [r, r], 'every repeat gets the same refusal');
      assert.ok(!existsSync(marker), 'the command never ran');
    } finally {
      await agent.stop();
    }
  });
});
