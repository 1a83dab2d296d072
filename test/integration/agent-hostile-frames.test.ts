import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { MAX_FRAME_BYTES } from '../../src/connection/connection.js';
import { parseInboundFrame } from '../../src/contracts/wire.js';
import { startDevServer, type DevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir } from '../support/agent-process.js';
import { obj, PROTO_NAMES, seededRandom, toText, withProtoKeys } from '../support/fuzz-input.js';
import { frameInput } from '../support/fuzz-targets.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = makeTempDir('agent-hostile-');
let server: DevServer;
let agent: ChildProcess;
let output = '';
let agentId: string;

before(async () => {
  server = await startDevServer({ apiKeys: ['k'] });
  const configPath = path.join(tmp.dir, 'agent.json');
  writeFileSync(configPath, JSON.stringify({ serverUrl: server.agentUrl, apiKey: 'k' }));
  agent = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/support/fast-agent.ts'), configPath, path.join(tmp.dir, 'data')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  agent.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  agent.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  agentId = (await server.waitForAgent(30_000)).agent_id;
});

after(async () => {
  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  await server.stop();
  tmp.cleanup();
});

/** A field of /proc/<pid>/status, in MB. */
function procStatusMb(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${agent.pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

async function runs(id: string, command: string, expected: string): Promise<void> {
  server.dispatch(agentId, { id, command_type: 'shell', command, timeout_seconds: 30 });
  const r = await server.waitForResult(id, 20_000);
  assert.equal(r.stdout, expected, `output of ${JSON.stringify(id)}; agent log:\n${output.slice(-2000)}`);
}

describe('the agent against hostile frames from its server', () => {
  test('10 MB frames: memory stays bounded, each id is refused -1 after a reconnect, and the agent works on', async (t) => {
    await new Promise((r) => setTimeout(r, 500));
    const before = procStatusMb('VmRSS');
    writeFileSync(`/proc/${agent.pid}/clear_refs`, '5'); // restart the peak (VmHWM) from here
    const padding = 'x'.repeat(10 * 1024 * 1024);
    for (let i = 0; i < 10; i++) {
      const id = `big-${i}`;
      server.sendRaw(agentId, `{"type":"command","payload":{"id":"${id}","command_type":"shell","command":"echo ran","padding":"${padding}"}}`);
      const r = await server.waitForResult(id, 20_000);
      assert.equal(r.exit_code, -1, `${id}: ${r.stdout}`);
      assert.equal(r.status, 'refused');
      assert.match(r.reason ?? '', new RegExp(`the command frame is larger than ${MAX_FRAME_BYTES} bytes`));
    }
    // Ten more in one burst: the first drops the session and the other nine are never read.
    for (let i = 0; i < 10; i++) server.sendRaw(agentId, `{"type":"command","payload":{"id":"burst-${i}","command_type":"shell","command":"echo ran","padding":"${padding}"}}`);
    assert.equal((await server.waitForResult('burst-0', 20_000)).exit_code, -1);
    const peak = procStatusMb('VmHWM');
    t.diagnostic(`agent RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB after ten 10 MB frames one by one and ten in a burst (growth ${(peak - before).toFixed(0)} MB)`);
    assert.ok(peak - before < 64, `peak memory grew by ${(peak - before).toFixed(0)} MB`);
    await runs('after-big', 'echo still here', 'still here\n');
  });

  test('command ids are compared exactly: " job " runs although "job" already ran', async () => {
    await runs('job', 'echo plain', 'plain\n');
    await runs(' job ', 'echo spaced', 'spaced\n');
    assert.equal(server.results('job').length, 1);
  });

  test('a few hundred random and hostile frames (prototype names included) leave the session answering commands', async () => {
    const r = seededRandom(4242);
    const frames: string[] = [];
    for (const type of PROTO_NAMES) frames.push(JSON.stringify({ type, payload: { id: `p-${type}`, command_type: 'shell', command: 'echo no' } }));
    for (const name of PROTO_NAMES) {
      frames.push(toText(withProtoKeys(r, obj({ type: 'cancel', payload: obj({ command_id: 'nothing' }) }), [name])));
      frames.push(`{"type":"command","payload":{"id":"bad-${name}","command_type":{"${name}":{}},"command":"echo no"}}`);
    }
    while (frames.length < 400) frames.push(frameInput(r));
    const sent = frames.filter((f) => {
      const parsed = parseInboundFrame(f);
      // Nothing sent here may be runnable, and nothing so large that the session is (rightly) dropped.
      return Buffer.byteLength(f) < MAX_FRAME_BYTES / 2 && !(parsed.ok && parsed.message.type === 'command');
    });
    assert.ok(sent.length >= 300, `${sent.length} frames`);
    const connectedBefore = output.match(/connected and authenticated/g)!.length;
    for (const f of sent) server.sendRaw(agentId, f);
    await runs('after-fuzz', 'echo still here', 'still here\n');
    const refused = await server.waitForResult('bad-constructor');
    assert.equal(refused.exit_code, -1);
    assert.match(refused.reason ?? '', /command_type/);
    assert.equal(output.match(/connected and authenticated/g)!.length, connectedBefore, 'the session was never dropped');
    assert.equal(agent.exitCode, null);
  });
});
