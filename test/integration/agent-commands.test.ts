import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDevServer, type DevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir, startAgentProcess, stopAgentProcess, type AgentProcess } from '../support/agent-process.js';
import { waitFor } from '../support/wait.js';

const tmp = makeTempDir('agent-cmd-');
let server: DevServer;
let agent: AgentProcess;
let agentId: string;

before(async () => {
  server = await startDevServer({ apiKeys: ['test-key'] });
  agent = startAgentProcess({ dir: tmp.dir, config: { serverUrl: server.agentUrl, apiKey: 'test-key', outputLimitBytes: 64 * 1024 } });
  agentId = (await server.waitForAgent(30_000)).agent_id;
});

after(async () => {
  await stopAgentProcess(agent);
  await server.stop();
  tmp.cleanup();
});

describe('agent runs shell commands from the server', () => {
  test('echo hi: exit 0, output, progress, and an acknowledged result', async () => {
    const id = server.dispatch(agentId, { command_type: 'shell', command: 'echo hi', timeout_seconds: 30 });
    const r = await server.waitForResult(id);
    assert.equal(r.exit_code, 0);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.status, 'succeeded');
    assert.equal(r.reason, null);
    assert.ok(r.duration_ms >= 0);
    assert.ok(server.command(id)!.progress.some((p) => p.kind === 'stdout' && p.data.includes('hi')));
    await waitFor(() => ackLogged(id), 5000, 'the acknowledgement is in the command log');
  });

  test("the process's own exit code passes through", async () => {
    const id = server.dispatch(agentId, { command_type: 'shell', command: 'echo failing >&2; exit 7' });
    const r = await server.waitForResult(id);
    assert.equal(r.exit_code, 7);
    assert.equal(r.status, 'failed');
    assert.equal(r.stderr, 'failing\n');
  });

  test('a repeated command id is answered from the record, never run twice', async () => {
    const marker = path.join(tmp.dir, 'ran-count');
    const id = randomUUID();
    server.dispatch(agentId, { id, command_type: 'shell', command: `echo x >> ${marker}; echo done` });
    const first = await server.waitForResult(id);
    server.dispatch(agentId, { id, command_type: 'shell', command: `echo x >> ${marker}; echo done` });
    await waitFor(() => server.results(id).length === 2, 10_000, 'second answer');
    assert.deepEqual(server.results(id)[1], first);
    assert.equal(readFileSync(marker, 'utf8'), 'x\n', 'the command ran once');
  });

  test('malformed frames are dropped; a bad command with an id is answered -1; the agent keeps working', async () => {
    for (const text of ['not json', '{"type":5}', '[]', JSON.stringify({ type: 'reboot', payload: {} }), '{"type":"command","payload":{"id":{}}}']) {
      server.sendRaw(agentId, text);
    }
    const badId = randomUUID();
    server.sendRaw(agentId, JSON.stringify({ type: 'command', payload: { id: badId, command_type: 'telnet', command: 'x' } }));
    const bad = await server.waitForResult(badId);
    assert.equal(bad.exit_code, -1);
    assert.equal(bad.status, 'refused');
    assert.match(bad.reason ?? '', /command_type/);
    const id = server.dispatch(agentId, { command_type: 'shell', command: 'echo still here' });
    assert.equal((await server.waitForResult(id)).stdout, 'still here\n');
    assert.equal(agent.child.exitCode, null, 'agent still running');
  });

  test('an invalid frame and a valid one with the same id, back to back: one result (the refusal), never run', async () => {
    const marker = path.join(tmp.dir, 'race-ran.txt');
    const ids = Array.from({ length: 20 }, (_, i) => `race-${i}-${randomUUID()}`);
    for (const id of ids) {
      server.sendRaw(agentId, JSON.stringify({ type: 'command', payload: { id, command_type: 'bogus', command: 'x' } }));
      server.sendRaw(agentId, JSON.stringify({ type: 'command', payload: { id, command_type: 'shell', command: `echo ${id} >> ${marker}` } }));
    }
    await waitFor(() => ids.every((id) => server.results(id).length > 0), 20_000, 'every id answered');
    await new Promise((r) => setTimeout(r, 1000));
    for (const id of ids) {
      const results = server.results(id);
      assert.ok(results.every((x) => JSON.stringify(x) === JSON.stringify(results[0])), `${id} got two different results: ${JSON.stringify(results)}`);
      assert.equal(results[0]!.status, 'refused');
    }
    assert.throws(() => readFileSync(marker), /ENOENT/, 'a command refused as invalid ran anyway');
  });

  test('a burst of 2,000 random frames (never a runnable command) does not shake the agent', async () => {
    let seed = 7;
    const r = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    const ids: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const type = pick(['command', 'cancel', 'result_ack', 'history_request', 'auth_ok', 'auth_error', 'unknown', '']);
      const id = `fuzz-${i}`;
      const payload = pick<unknown>([
        { id, command_type: pick(['bogus', 42, null, { claude: {} }, []]), command: 'echo never' },
        { command_id: pick([id, 5, null]) },
        { limit: pick([-1, 0, 'x', 1e9, 3]) },
        pick([null, [], 'text', 12]),
        {},
      ]);
      const text = JSON.stringify({ type, payload });
      const torn = r() < 0.1;
      if (!torn && type === 'command' && typeof payload === 'object' && payload && 'id' in payload) ids.push(id);
      server.sendRaw(agentId, torn ? text.slice(0, Math.floor(r() * text.length)) : text);
    }
    const after = server.dispatch(agentId, { command_type: 'shell', command: 'echo survived' });
    assert.equal((await server.waitForResult(after, 30_000)).stdout, 'survived\n');
    await waitFor(() => ids.every((id) => server.results(id).length > 0), 30_000, `unanswered: ${ids.filter((id) => !server.results(id).length).slice(0, 5).join(', ')}`);
    assert.ok(ids.length > 20, `${ids.length} bad commands sent`);
    assert.ok(ids.every((id) => server.results(id)[0]!.exit_code === -1));
    assert.equal(agent.child.exitCode, null, 'agent still running');
  });

  test('output beyond the cap keeps head and tail with a marker', async () => {
    const id = server.dispatch(agentId, { command_type: 'shell', command: "head -c 300000 /dev/zero | tr '\\0' a; echo; echo LAST-LINE" });
    const r = await server.waitForResult(id);
    assert.ok(r.stdout.length < 64 * 1024 + 100, `capped: ${r.stdout.length}`);
    assert.match(r.stdout, /\[\.\.\. \d+ bytes truncated \.\.\.\]/);
    assert.match(r.stdout, /LAST-LINE\n$/);
  });

  test('a timeout gives 124', async () => {
    const id = server.dispatch(agentId, { command_type: 'shell', command: 'sleep 30', timeout_seconds: 1 });
    const r = await server.waitForResult(id, 15_000);
    assert.equal(r.exit_code, 124);
    assert.equal(r.status, 'timed_out');
  });

  test('a technician cancel stops a running command (-1 cancelled)', async () => {
    const id = server.dispatch(agentId, { command_type: 'shell', command: 'sleep 30' });
    await waitFor(() => server.agents()[0]?.status?.running.includes(id) ?? false, 10_000, 'command running');
    server.cancel(id);
    const r = await server.waitForResult(id, 15_000);
    assert.equal(r.exit_code, -1);
    assert.equal(r.status, 'cancelled');
    assert.match(r.reason ?? '', /technician/);
  });

  test('history_request answers the newest records first', async () => {
    const records = await server.requestHistory(agentId, 3);
    assert.equal(records.length, 3);
    assert.ok(records[0]!.received_at >= records[1]!.received_at);
    assert.equal(records[0]!.status, 'cancelled');
  });

  test('state files are owner-only', () => {
    for (const f of ['identity.json', 'history.jsonl', 'commands.jsonl']) {
      assert.equal(statSync(path.join(agent.dataDir, f)).mode & 0o077, 0, f);
    }
    assert.equal(statSync(agent.dataDir).mode & 0o077, 0);
  });
});

/** Whether the command log holds the server's acknowledgement of `commandId`'s result. */
function ackLogged(commandId: string): boolean {
  return readFileSync(path.join(agent.dataDir, 'commands.jsonl'), 'utf8')
    .split('\n')
    .some((line) => line.includes('"e":"ack"') && (JSON.parse(line) as { id?: string }).id === commandId);
}
