/**
 * Faults in a row, against the real headless agent: 200 commands while the server restarts 10 times and
 * drops some acknowledgements, and an agent SIGKILLed again and again mid-command. Nothing may be lost,
 * nothing run twice, no id answered two different ways, and nothing left running.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir, startAgentProcess, stopAgentProcess } from '../support/agent-process.js';
import { pidsWithArgv, uniqueSleepSeconds } from '../support/proc-find.js';
import { waitFor } from '../support/wait.js';

const FAST_AGENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support/fast-agent.ts');
const tmp = makeTempDir('agent-chaos-');
after(() => tmp.cleanup());

function ranLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('chaos', () => {
  test('200 commands through 10 server restarts with acks dropped now and then: all answered once each, none run twice', async () => {
    const server = await startDevServer({ apiKeys: ['k'] });
    const dir = path.join(tmp.dir, 'restarts');
    mkdirSync(dir);
    const ran = path.join(dir, 'ran.txt');
    // The agent core with reconnect backoff of at most 200 ms (the headless host's grows to a minute).
    const configPath = path.join(dir, 'agent.json');
    writeFileSync(configPath, JSON.stringify({ serverUrl: server.agentUrl, apiKey: 'k' }));
    const child = spawn(process.execPath, ['--import', 'tsx', FAST_AGENT, configPath, path.join(dir, 'data')], { stdio: 'ignore' });
    const agent = { child, exited: new Promise((r) => child.on('exit', r)) };
    try {
      const agentId = (await server.waitForAgent(30_000)).agent_id;
      const ids: string[] = [];
      for (let round = 0; round < 10; round++) {
        server.setAutoAck(round % 3 !== 1); // every third round the server forgets to acknowledge
        for (let i = 0; i < 20; i++) {
          const n = round * 20 + i;
          ids.push(server.dispatch(agentId, { id: `chaos-${n}`, command_type: 'shell', command: `echo ${n} >> ${ran}; echo ${n}` }));
        }
        await new Promise((r) => setTimeout(r, 30 + round * 7));
        await server.restart(200);
        await server.waitForAgent(30_000, agentId);
      }
      server.setAutoAck(true);
      // Re-dispatching every id after the storm: each is answered from its record, never run again.
      for (const id of ids) server.dispatch(agentId, { id, command_type: 'shell', command: `echo ${id.slice(6)} >> ${ran}; echo again` });
      await waitFor(() => ids.every((id) => server.results(id).length > 0), 60_000, 'every command answered');
      await new Promise((r) => setTimeout(r, 1500));
      for (const id of ids) {
        const results = server.results(id);
        const n = id.slice(6);
        assert.ok(results.every((r) => JSON.stringify(r) === JSON.stringify(results[0])), `${id} was answered two different ways: ${JSON.stringify(results)}`);
        const r = results[0]!;
        // A command dispatched while the server was going down may never have reached the agent: then only
        // the re-dispatch ran it (its output says "again"). Either way it ran once.
        assert.ok(r.stdout === `${n}\n` || r.stdout === 'again\n', `${id}: ${JSON.stringify(r)}`);
      }
      const lines = ranLines(ran);
      assert.equal(lines.length, new Set(lines).size, 'a command ran twice');
      assert.equal(lines.length, ids.length, 'every command ran exactly once');
    } finally {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await agent.exited;
      clearTimeout(timer);
      await server.stop();
    }
  });

  test('SIGKILLed five times mid-command: each command reported interrupted once, no process left, nothing re-run', async () => {
    const server = await startDevServer({ apiKeys: ['k'] });
    const dir = path.join(tmp.dir, 'sigkill');
    mkdirSync(dir);
    const config = { serverUrl: server.agentUrl, apiKey: 'k' };
    const dataDir = path.join(dir, 'data');
    const started = path.join(dir, 'started.txt');
    let agent = startAgentProcess({ dir, config, dataDir });
    const seconds = uniqueSleepSeconds();
    try {
      const agentId = (await server.waitForAgent(30_000)).agent_id;
      const ids: string[] = [];
      for (let round = 0; round < 5; round++) {
        const id = server.dispatch(agentId, { id: `kill-${round}`, command_type: 'shell', command: `echo ${round} >> ${started}; sleep ${seconds}` });
        ids.push(id);
        await waitFor(() => ranLines(started).length === round + 1, 15_000, `command ${round} started`);
        agent.child.kill('SIGKILL');
        await agent.exited;
        agent = startAgentProcess({ dir, config, dataDir });
        await server.waitForAgent(30_000, agentId);
      }
      await waitFor(() => ids.every((id) => server.results(id).length > 0), 30_000, 'every command reported');
      for (const id of ids) {
        const r = server.results(id)[0]!;
        assert.equal(r.status, 'interrupted', JSON.stringify(r));
        assert.equal(r.exit_code, -1);
        assert.ok(server.results(id).every((x) => x.status === 'interrupted'), `${id} got another result too`);
        server.dispatch(agentId, { id, command_type: 'shell', command: `echo again >> ${started}` });
      }
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(ranLines(started), ['0', '1', '2', '3', '4'], 'an interrupted command ran again');
      await waitFor(() => pidsWithArgv(['sleep', String(seconds)]).length === 0, 10_000, 'a sleep of a killed agent is still running');
    } finally {
      await stopAgentProcess(agent);
      await server.stop();
    }
  });
});
