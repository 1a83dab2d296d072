/**
 * De-duplication survives the loss of any one state file: the real agent process runs 8 commands,
 * then one of its files is emptied, deleted, torn or garbled before each restart. Re-dispatched ids
 * never run again, are answered with their original results, and the agent says what it could not read.
 */
import assert from 'node:assert/strict';
import { readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { CommandResultPayload } from '../../src/contracts/wire.js';
import { startDevServer, type DevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir, startAgentProcess, stopAgentProcess, type AgentProcess } from '../support/agent-process.js';
import { waitFor } from '../support/wait.js';

const tmp = makeTempDir('agent-loss-');
const config: Record<string, unknown> = {};
let server: DevServer;

before(async () => {
  server = await startDevServer({ apiKeys: ['state-loss-key'] });
  Object.assign(config, { serverUrl: server.agentUrl, apiKey: 'state-loss-key' });
});

after(async () => {
  await server.stop();
  tmp.cleanup();
});

const ids = Array.from({ length: 8 }, (_, i) => `loss-${i}`);
const marker = path.join(tmp.dir, 'ran.txt'); // outside the data dir
const payload = (id: string): Record<string, unknown> => ({ id, command_type: 'shell', command: `echo ${id} >> '${marker}'; echo output of ${id}` });
const ANSWERED_FROM_RECORD = /repeated command id: answering from the record, not running it again/g;

/** Cuts a file in the middle of a line near its middle. */
function cutMidLine(file: string): void {
  const buf = readFileSync(file);
  let at = Math.floor(buf.length / 2);
  while (buf[at] === 0x0a || buf[at - 1] === 0x0a) at++;
  truncateSync(file, at);
}

/** Overwrites the middle third of a file with garbage lines, keeping its size. */
function garbleMiddle(file: string): void {
  const buf = readFileSync(file);
  buf.fill(Buffer.from('\xff\xfe garbage; not JSON\n', 'latin1'), Math.floor(buf.length / 3), Math.floor((2 * buf.length) / 3));
  writeFileSync(file, buf);
}

interface Loss {
  name: string;
  damage(dataDir: string): void;
  /** What the agent must say about it. */
  says: RegExp[];
}
const log = (dataDir: string): string => path.join(dataDir, 'commands.jsonl');
const history = (dataDir: string): string => path.join(dataDir, 'history.jsonl');
const LOSSES: Loss[] = [
  { name: 'commands.jsonl truncated to 0 bytes', damage: (d) => truncateSync(log(d), 0), says: [/commands\.jsonl is empty although \S*history\.jsonl knows 8 finished command/] },
  { name: 'commands.jsonl deleted', damage: (d) => unlinkSync(log(d)), says: [/commands\.jsonl is missing although \S*history\.jsonl knows 8 finished command/] },
  {
    name: 'commands.jsonl cut mid-line',
    damage: (d) => cutMidLine(log(d)),
    says: [/commands\.jsonl ended in a torn line/, /commands\.jsonl lacked the end of [1-8] finished command\(s\) that \S*history\.jsonl knows/],
  },
  { name: 'history.jsonl deleted', damage: (d) => unlinkSync(history(d)), says: [/history\.jsonl is missing or empty although the command log knows 8 finished command/] },
  {
    name: 'garbage over the middle of commands.jsonl',
    damage: (d) => garbleMiddle(log(d)),
    says: [/commands\.jsonl had \d+ unreadable line\(s\)/, /commands\.jsonl lacked the end of [1-8] finished command/],
  },
  {
    name: 'commands.jsonl replaced by garbage',
    damage: (d) => writeFileSync(log(d), '\xff\xfe garbage\nnot JSON\n{"e":"start"}\n'),
    says: [/commands\.jsonl had 3 unreadable line\(s\)/, /commands\.jsonl is without a readable event although \S*history\.jsonl knows 8 finished/],
  },
];

test('an emptied, deleted, torn or garbled state file never makes a finished command run again', async (t) => {
  let agent: AgentProcess = startAgentProcess({ dir: tmp.dir, config });
  const dataDir = agent.dataDir;
  try {
    const agentId = (await server.waitForAgent(30_000)).agent_id;
    for (const id of ids) server.dispatch(agentId, payload(id));
    const original = new Map<string, CommandResultPayload>();
    for (const id of ids) original.set(id, await server.waitForResult(id));
    for (const id of ids) assert.equal(original.get(id)!.stdout, `output of ${id}\n`);
    await waitFor(() => ids.every((id) => readFileSync(log(dataDir), 'utf8').includes(`{"e":"ack","id":"${id}"`)), 10_000, 'every result acknowledged');
    assert.equal(await stopAgentProcess(agent), 0);
    const ran = readFileSync(marker, 'utf8');
    assert.equal(ran.split('\n').filter(Boolean).length, 8);
    const pristine = { log: readFileSync(log(dataDir)), history: readFileSync(history(dataDir)) };

    for (const loss of LOSSES) {
      await t.test(loss.name, async () => {
        writeFileSync(log(dataDir), pristine.log, { mode: 0o600 });
        writeFileSync(history(dataDir), pristine.history, { mode: 0o600 });
        loss.damage(dataDir);
        await waitFor(() => !server.agents().some((a) => a.agent_id === agentId && a.connected), 10_000, 'the previous agent is gone');
        const before = new Map(ids.map((id) => [id, server.results(id).length]));
        agent = startAgentProcess({ dir: tmp.dir, config, dataDir });
        try {
          await server.waitForAgent(30_000, agentId);
          for (const id of ids) server.dispatch(agentId, payload(id));
          await waitFor(() => ids.every((id) => server.results(id).length > before.get(id)!), 20_000, 'every repeat is answered');
          await waitFor(() => (agent.output().match(ANSWERED_FROM_RECORD) ?? []).length >= 8, 10_000, 'every repeat answered from the record');
          assert.equal(readFileSync(marker, 'utf8'), ran, 'no command ran again');
          for (const id of ids) {
            // Results re-sent because an acknowledgement was lost with the log are the same result again.
            for (const r of server.results(id)) assert.deepEqual(r, original.get(id), `every answer for ${id} is its original result`);
          }
          for (const warning of loss.says) assert.match(agent.output(), warning, 'the agent says what it could not read');
          assert.equal(await stopAgentProcess(agent), 0);
        } finally {
          await stopAgentProcess(agent);
        }
        // Either file again knows every id on its own, so losing the other one next loses nothing.
        for (const id of ids) {
          assert.ok(readFileSync(log(dataDir), 'utf8').includes(`"e":"finish","id":"${id}"`), `the command log knows ${id} finished`);
          assert.ok(readFileSync(history(dataDir), 'utf8').includes(`{"id":"${id}"`), `the history knows ${id}`);
        }
      });
    }
  } finally {
    await stopAgentProcess(agent);
  }
});
