import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startDevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir, startAgentProcess, stopAgentProcess } from '../support/agent-process.js';
import { waitFor } from '../support/wait.js';

const tmp = makeTempDir('agent-dur-');
after(() => tmp.cleanup());

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

describe('nothing is lost', () => {
  test('server restart mid-command: the result arrives after reconnect, exactly once', async () => {
    const server = await startDevServer({ apiKeys: ['k'] });
    const dir = path.join(tmp.dir, 'restart');
    const agent = startAgentProcess({ dir: mk(dir), config: { serverUrl: server.agentUrl, apiKey: 'k' } });
    try {
      const { agent_id } = await server.waitForAgent(30_000);
      const id = server.dispatch(agent_id, { command_type: 'shell', command: 'sleep 2; echo finished' });
      await waitFor(() => server.command(id)!.progress.length > 0 || (server.agents()[0]?.status?.running.includes(id) ?? false), 10_000);
      const down = Date.now();
      await server.restart(3000); // down while the command finishes
      await server.waitForAgent(30_000);
      const r = await server.waitForResult(id, 30_000);
      console.log(`reconnect + redelivery took ${Date.now() - down} ms after the server went down for 3 s`);
      assert.equal(r.stdout, 'finished\n');
      await new Promise((res) => setTimeout(res, 1500));
      assert.equal(server.results(id).length, 1, 'delivered exactly once');
    } finally {
      await stopAgentProcess(agent);
      await server.stop();
    }
  });

  test('unacknowledged results are re-sent after reconnect; the server de-duplicates', async () => {
    const server = await startDevServer({ apiKeys: ['k'] });
    server.setAutoAck(false);
    const dir = mk(path.join(tmp.dir, 'noack'));
    const agent = startAgentProcess({ dir, config: { serverUrl: server.agentUrl, apiKey: 'k' } });
    try {
      const { agent_id } = await server.waitForAgent(30_000);
      const id = server.dispatch(agent_id, { command_type: 'shell', command: 'echo kept' });
      await server.waitForResult(id);
      server.setAutoAck(true);
      await server.restart();
      await waitFor(() => server.results(id).length >= 2, 30_000, 'result re-sent from the outbox');
      assert.deepEqual(server.results(id)[1], server.results(id)[0]);
    } finally {
      await stopAgentProcess(agent);
      await server.stop();
    }
  });

  test('agent SIGKILLed mid-command: reported interrupted after restart, and its process tree is gone', async () => {
    const server = await startDevServer({ apiKeys: ['k'] });
    const dir = mk(path.join(tmp.dir, 'sigkill'));
    const pidFile = path.join(dir, 'pid');
    const config = { serverUrl: server.agentUrl, apiKey: 'k' };
    let agent = startAgentProcess({ dir, config });
    try {
      const { agent_id } = await server.waitForAgent(30_000);
      const id = server.dispatch(agent_id, { command_type: 'shell', command: `sleep 300 & echo $! > ${pidFile}; wait` });
      await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 10_000, 'command started');
      const orphan = Number(readFileSync(pidFile, 'utf8'));
      agent.child.kill('SIGKILL');
      await agent.exited;
      agent = startAgentProcess({ dir, config, dataDir: agent.dataDir });
      const r = await server.waitForResult(id, 30_000);
      assert.equal(r.exit_code, -1);
      assert.equal(r.status, 'interrupted');
      assert.match(r.reason ?? '', /interrupted/);
      await waitFor(() => !alive(orphan), 10_000, `the orphaned child ${orphan} of the killed agent was stopped on restart`);
    } finally {
      await stopAgentProcess(agent);
      await server.stop();
    }
  });

  test('SIGTERM stops running commands, reports them interrupted, and exits 0', async () => {
    const server = await startDevServer({ apiKeys: ['k'] });
    const dir = mk(path.join(tmp.dir, 'sigterm'));
    const agent = startAgentProcess({ dir, config: { serverUrl: server.agentUrl, apiKey: 'k' } });
    try {
      const { agent_id } = await server.waitForAgent(30_000);
      const id = server.dispatch(agent_id, { command_type: 'shell', command: 'sleep 300' });
      await waitFor(() => server.agents()[0]?.status?.running.includes(id) ?? false, 10_000, 'running');
      assert.equal(await stopAgentProcess(agent), 0);
      const r = server.results(id)[0];
      assert.ok(r, 'the result reached the server before the agent exited');
      assert.equal(r.status, 'interrupted');
      assert.equal(r.exit_code, -1);
    } finally {
      await stopAgentProcess(agent);
      await server.stop();
    }
  });

  test('50 MB of output: result capped and marked, agent memory bounded', async () => {
    const server = await startDevServer({ apiKeys: ['k'] });
    const dir = mk(path.join(tmp.dir, 'bigout'));
    const agent = startAgentProcess({ dir, config: { serverUrl: server.agentUrl, apiKey: 'k' } });
    try {
      const { agent_id } = await server.waitForAgent(30_000);
      const warm = server.dispatch(agent_id, { command_type: 'shell', command: 'echo warm' });
      await server.waitForResult(warm);
      const before = peakRssKiB(agent.child.pid!);
      const id = server.dispatch(agent_id, { command_type: 'shell', command: "head -c 52428800 /dev/urandom | base64 -w 200; echo THE-END" });
      const r = await server.waitForResult(id, 120_000);
      const after = peakRssKiB(agent.child.pid!);
      console.log(`agent peak RSS ${Math.round(before / 1024)} MiB before, ${Math.round(after / 1024)} MiB after 50 MB+ of output`);
      assert.equal(r.exit_code, 0);
      assert.ok(r.stdout.length <= 1024 * 1024 + 100);
      assert.match(r.stdout, /\[\.\.\. \d+ bytes truncated \.\.\.\]/);
      assert.match(r.stdout, /THE-END\n$/);
      assert.ok(after - before < 48 * 1024, `peak RSS grew by ${Math.round((after - before) / 1024)} MiB`);
    } finally {
      await stopAgentProcess(agent);
      await server.stop();
    }
  });
});

function mk(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

function peakRssKiB(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return m ? Number(m[1]) : 0;
}
