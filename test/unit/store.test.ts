import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { z } from 'zod';
import type { TaskRecord } from '../../src/contracts/wire.js';
import { MemoryLogger, silentLogger } from '../../src/core/logger.js';
import { writeFileAtomic } from '../../src/store/atomic-file.js';
import { CommandLedger } from '../../src/store/command-ledger.js';
import { JsonState } from '../../src/store/json-state.js';
import { Journal } from '../../src/store/journal.js';
import { Outbox } from '../../src/store/outbox.js';
import { TaskHistory } from '../../src/store/task-history.js';
import { makeTempDir } from '../support/agent-process.js';

const tmp = makeTempDir('store-');
after(() => tmp.cleanup());
const file = (name: string): string => path.join(tmp.dir, name);

describe('durable store', () => {
  test('atomic writes are owner-only and leave no temp files', async () => {
    await writeFileAtomic(file('a.json'), '{"x":1}');
    await writeFileAtomic(file('a.json'), '{"x":2}');
    assert.equal(readFileSync(file('a.json'), 'utf8'), '{"x":2}');
    assert.equal(statSync(file('a.json')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.includes('.tmp')), []);
  });

  test('a corrupt state file is kept aside and defaults are used', () => {
    writeFileSync(file('state.json'), '{"paused": tru');
    const logger = new MemoryLogger();
    const s = new JsonState(file('state.json'), z.object({ paused: z.boolean() }), () => ({ paused: false }), logger);
    assert.deepEqual(s.load(), { paused: false });
    assert.ok(readdirSync(tmp.dir).some((f) => f.startsWith('state.json.corrupt-')));
    assert.ok(logger.lines.some((l) => l.level === 'error'));
  });

  test('a torn last journal line loses no earlier record, and the next append is clean', async () => {
    const schema = z.object({ n: z.number() });
    const j = new Journal(file('j.jsonl'), schema, silentLogger);
    for (let n = 0; n < 5; n++) await j.append({ n });
    appendFileSync(file('j.jsonl'), '{"n": 5, "torn'); // a crash mid-append
    const again = new Journal(file('j.jsonl'), schema, silentLogger);
    assert.deepEqual(again.readAll().map((r) => r.n), [0, 1, 2, 3, 4]);
    await again.append({ n: 6 });
    assert.deepEqual(new Journal(file('j.jsonl'), schema, silentLogger).readAll().map((r) => r.n), [0, 1, 2, 3, 4, 6]);
    assert.ok(readFileSync(file('j.jsonl'), 'utf8').endsWith('{"n":6}\n'));
  });

  test('the outbox survives a restart, in order, until acknowledged', async () => {
    const dir = file('outbox');
    const o = new Outbox(dir, silentLogger);
    o.load();
    const result = (id: string) => ({ command_id: id, exit_code: 0, stdout: id, stderr: '', duration_ms: 1, status: 'succeeded' as const, reason: null });
    await o.put(result('first'));
    await o.put(result('second'));
    writeFileSync(path.join(dir, 'junk.json'), 'nope');
    const after = new Outbox(dir, silentLogger);
    after.load();
    assert.deepEqual(after.list().map((r) => r.command_id), ['first', 'second']);
    await after.remove('first');
    await after.remove('first');
    const third = new Outbox(dir, silentLogger);
    third.load();
    assert.deepEqual(third.list().map((r) => r.command_id), ['second']);
    assert.ok(readdirSync(dir).includes('junk.json.corrupt'));
  });

  test('the ledger remembers ids across restarts, finds unfinished ones, and prunes after the retention', async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const l = new CommandLedger(file('ledger.jsonl'), clock, silentLogger, 48 * 3600_000);
    l.load();
    await l.markRunning('done');
    await l.markFinished('done');
    await l.markRunning('cut-off');
    const restarted = new CommandLedger(file('ledger.jsonl'), clock, silentLogger);
    restarted.load();
    assert.equal(restarted.state('done'), 'finished');
    assert.deepEqual(restarted.unfinished(), ['cut-off']);
    now += 49 * 3600_000;
    const later = new CommandLedger(file('ledger.jsonl'), clock, silentLogger);
    later.load();
    assert.equal(later.state('done'), undefined);
  });

  test('history keeps the newest 1,000 of 1,200 across a restart, newest first', async () => {
    const h = new TaskHistory(file('history.jsonl'), silentLogger);
    h.load();
    const rec = (i: number): TaskRecord => ({
      id: `r${i}`, kind: 'shell', summary: `echo ${i}`, requested_by: null, working_directory: null,
      received_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), started_at: null, finished_at: null,
      status: 'succeeded', exit_code: 0, duration_ms: 1, reason: null, stdout: '', stderr: '', decisions: [],
    });
    for (let i = 0; i < 1200; i++) await h.upsert(rec(i));
    const again = new TaskHistory(file('history.jsonl'), silentLogger);
    again.load();
    const all = again.recent(5000);
    assert.equal(all.length, 1000);
    assert.equal(all[0]!.id, 'r1199');
    assert.equal(all.at(-1)!.id, 'r200');
    assert.equal(statSync(file('history.jsonl')).mode & 0o077, 0);
  });
});
