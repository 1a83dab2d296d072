import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { z } from 'zod';
import type { CommandResultPayload, TaskRecord } from '../../src/contracts/wire.js';
import { MemoryLogger, silentLogger } from '../../src/core/logger.js';
import { writeFileAtomic } from '../../src/store/atomic-file.js';
import { CommandStore } from '../../src/store/command-store.js';
import { JsonState } from '../../src/store/json-state.js';
import { Journal } from '../../src/store/journal.js';
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
});

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3600_000;
const fakeClock = (t = T0): { t: number; now(): number } => {
  const clock = { t, now: () => clock.t };
  return clock;
};
let dirSeq = 0;
function freshDir(): string {
  const dir = file(`data${++dirSeq}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}
const logOf = (dir: string): string => path.join(dir, 'commands.jsonl');
const historyOf = (dir: string): string => path.join(dir, 'history.jsonl');

function running(id: string, at = T0): TaskRecord {
  const iso = new Date(at).toISOString();
  return {
    id, kind: 'shell', summary: `echo ${id}`, requested_by: null, working_directory: null, received_at: iso, started_at: iso,
    finished_at: null, status: 'running', exit_code: null, duration_ms: null, reason: null, stdout: '', stderr: '', decisions: [],
  };
}
function finished(id: string, at = T0): TaskRecord {
  return { ...running(id, at), status: 'succeeded', exit_code: 0, duration_ms: 1, stdout: `out ${id}\n`, finished_at: new Date(at + 1).toISOString() };
}
function resultFor(id: string): CommandResultPayload {
  return { command_id: id, exit_code: 0, stdout: `out ${id}\n`, stderr: '', duration_ms: 1, status: 'succeeded', reason: null };
}
function openStore(dir: string, clock = fakeClock(), logger: MemoryLogger | typeof silentLogger = silentLogger): CommandStore {
  const store = new CommandStore(dir, clock, logger);
  store.load();
  return store;
}
async function run(store: CommandStore, id: string, at = T0): Promise<void> {
  await store.start(running(id, at));
  await store.finish(finished(id, at), resultFor(id));
}
/** Runs ids a hundred at a time, so their events are written in groups (group commit). */
async function runMany(store: CommandStore, ids: string[], at: (i: number) => number): Promise<void> {
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    await Promise.all(chunk.map((id, k) => store.start(running(id, at(i + k)))));
    await Promise.all(chunk.map((id, k) => store.finish(finished(id, at(i + k)), resultFor(id))));
    await Promise.all(chunk.map((id) => store.acknowledge(id)));
  }
}
/** Every line of a file, each asserted to be whole JSON. */
function jsonLines(f: string): Record<string, unknown>[] {
  const text = readFileSync(f, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), `${f} ends on a line boundary`);
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}
function assertPrivate(dir: string): void {
  for (const f of [logOf(dir), historyOf(dir)]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
}
const ids = (records: { id: string }[]): string[] => records.map((r) => r.id);
const pendingIds = (s: CommandStore): string[] => s.pending().map((r) => r.command_id);

describe('command store', () => {
  test('results survive a restart, in the order they finished, until acknowledged', async () => {
    const dir = freshDir();
    const s = openStore(dir);
    for (const id of ['first', 'second', 'third']) await s.start(running(id));
    for (const id of ['third', 'first', 'second']) await s.finish(finished(id), resultFor(id));
    await s.acknowledge('second');
    await s.close();
    const after = openStore(dir);
    assert.deepEqual(pendingIds(after), ['third', 'first']);
    assert.deepEqual(after.pending()[0], resultFor('third'));
    assert.deepEqual(after.resultOf('second'), resultFor('second'), 'an acknowledged result is rebuilt from its record');
    await after.acknowledge('third');
    await after.acknowledge('third');
    await after.close();
    const third = openStore(dir);
    assert.deepEqual(pendingIds(third), ['first']);
    assert.equal(third.state('third'), 'finished');
    assert.deepEqual(third.unfinishedAtLoad(), []);
    assertPrivate(dir);
  });

  test('a torn last line is cut and warned about; an id whose start was stored is unfinished after a restart', async () => {
    const dir = freshDir();
    const s = openStore(dir);
    await run(s, 'done');
    await s.start(running('cut-off'));
    await s.close();
    appendFileSync(logOf(dir), '{"e":"finish","id":"cut-off","at":1,"rec'); // a crash mid-append
    const logger = new MemoryLogger();
    const again = openStore(dir, fakeClock(), logger);
    assert.match(again.warnings.join('\n'), /commands\.jsonl ended in a torn line/);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && /torn line/.test(l.message)));
    assert.deepEqual(ids(again.unfinishedAtLoad()), ['cut-off']);
    assert.equal(again.state('done'), 'finished');
    await again.start(running('next'));
    await again.close();
    assert.deepEqual(jsonLines(logOf(dir)).map((e) => `${String(e.e)} ${String(e.id)}`), ['start done', 'finish done', 'start cut-off', 'start next']);
  });

  test('history keeps the newest 1,000 records, newest first; ids are remembered 48 h, then forgotten; an owed result never is', async () => {
    const dir = freshDir();
    const clock = fakeClock();
    const s = openStore(dir, clock);
    await run(s, 'owed');
    await runMany(s, Array.from({ length: 1200 }, (_, i) => `r${i + 1}`), (i) => T0 + (i + 1) * 1000);
    await s.close();
    const openAt = (hours: number): CommandStore => ((clock.t = T0 + hours * HOUR), openStore(dir, clock));

    const later = openAt(47);
    const all = later.recent(5000);
    assert.equal(all.length, 1000);
    assert.equal(all[0]!.id, 'r1200');
    assert.equal(all.at(-1)!.id, 'r201');
    assert.equal(later.state('r1'), 'finished', 'an id older than the newest 1,000 records is still known');
    assert.equal(later.record('r1'), undefined);
    assert.equal(later.resultOf('r1'), null);
    assert.deepEqual(later.pending(), [resultFor('owed')]);
    await later.close();

    const muchLater = openAt(49);
    assert.equal(muchLater.state('r1'), undefined, 'forgotten after 48 h');
    assert.equal(muchLater.state('r200'), undefined);
    assert.equal(muchLater.state('r201'), 'finished', 'an id with its record in the history stays known');
    assert.deepEqual(muchLater.pending(), [resultFor('owed')], 'an unacknowledged result is kept');
    assert.equal(muchLater.recent(5000)[0]!.id, 'r1200');
    await muchLater.close();
    assertPrivate(dir);
  });

  test('compaction (over 2,000 events) keeps every live id, pending result and record', async () => {
    const dir = freshDir();
    const s = openStore(dir);
    await run(s, 'acked');
    await s.acknowledge('acked');
    await run(s, 'owed-1');
    await run(s, 'owed-2');
    await s.start(running('busy'));
    for (let n = 0; n < 2100; n += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => s.update({ ...running('busy'), stdout: `step ${n + k}\n` })));
    }
    const events = jsonLines(logOf(dir));
    assert.ok(events.length < 200, `the log was compacted to ${events.length} events`);
    assertPrivate(dir);
    const check = (st: CommandStore): void => {
      assert.equal(st.state('acked'), 'finished');
      assert.deepEqual(st.resultOf('acked'), resultFor('acked'));
      assert.deepEqual(st.pending(), [resultFor('owed-1'), resultFor('owed-2')]);
      assert.equal(st.record('busy')?.stdout, 'step 2099\n');
      assert.deepEqual(ids(st.recent(10)), ['busy', 'owed-2', 'owed-1', 'acked']);
    };
    check(s);
    await s.close();
    const again = openStore(dir);
    check(again);
    assert.deepEqual(ids(again.unfinishedAtLoad()), ['busy']);
    assert.equal(again.unfinishedAtLoad()[0]!.stdout, 'step 2099\n');
  });

  test("the previous version's ledger, outbox and history are migrated by load() and migrate()", async () => {
    const dir = freshDir();
    const lines = (xs: unknown[]): string => xs.map((x) => `${JSON.stringify(x)}\n`).join('');
    writeFileSync(logOf(dir), lines([{ id: 'a', state: 'running', at: T0 - 5000 }, { id: 'a', state: 'finished', at: T0 - 4000 }, { id: 'b', state: 'running', at: T0 - 3000 }]));
    writeFileSync(historyOf(dir), lines([running('a', T0 - 5000), finished('a', T0 - 5000), running('b', T0 - 3000)]));
    const outbox = path.join(dir, 'outbox');
    mkdirSync(outbox);
    const owe = (id: string, queuedAt: number): void =>
      writeFileSync(path.join(outbox, `${createHash('sha256').update(id).digest('hex')}.json`), JSON.stringify({ queued_at: queuedAt, result: resultFor(id) }));
    owe('c', 2);
    owe('d', 1);
    const check = (st: CommandStore): void => {
      assert.equal(st.state('a'), 'finished');
      assert.deepEqual(st.resultOf('a'), resultFor('a'), 'answered from the old history record');
      assert.deepEqual(ids(st.unfinishedAtLoad()), ['b']);
      assert.deepEqual(st.pending(), [resultFor('d'), resultFor('c')], 'owed results, oldest first');
      assert.equal(st.record('c')?.status, 'succeeded');
    };
    const s = openStore(dir);
    await s.migrate();
    check(s);
    assert.ok(!existsSync(outbox), 'the outbox directory is gone');
    assert.ok(jsonLines(logOf(dir)).every((e) => typeof e.e === 'string'), 'the log is in the current form');
    assertPrivate(dir);
    await s.close();
    const again = openStore(dir);
    check(again);
    assert.deepEqual(again.warnings, []);
  });

  for (const [damage, hurt, warning] of [
    ['emptied', (dir: string) => truncateSync(logOf(dir), 0), /commands\.jsonl is empty although .*history\.jsonl knows 3 finished/],
    ['cut inside the last finish', cutInsideLastFinish, /commands\.jsonl ended in a torn line[^]*lacked the end of 1 finished command/],
  ] as const) {
    test(`a log ${damage} is warned about and written again from the history, so losing the history next loses no id`, async () => {
      const dir = freshDir();
      const s = openStore(dir);
      for (const id of ['x1', 'x2', 'x3']) await run(s, id);
      await Promise.all(['x1', 'x2', 'x3'].map((id) => s.acknowledge(id)));
      await s.close();
      hurt(dir);
      const check = (st: CommandStore): void => {
        for (const id of ['x1', 'x2', 'x3']) assert.deepEqual(st.resultOf(id), resultFor(id), id);
        assert.deepEqual(st.unfinishedAtLoad(), [], 'a command the history knows finished is not reported interrupted');
        // Acks cut away with the log only mean the same result is sent once more.
        for (const r of st.pending()) assert.deepEqual(r, resultFor(r.command_id));
      };
      const damaged = openStore(dir);
      assert.match(damaged.warnings.join('\n'), warning);
      check(damaged);
      await damaged.migrate();
      await damaged.close();
      unlinkSync(historyOf(dir));
      const historyLost = openStore(dir);
      assert.match(historyLost.warnings.join('\n'), /history\.jsonl is missing or empty although the command log knows 3 finished/);
      check(historyLost);
      await historyLost.migrate();
      await historyLost.close();
      const healed = openStore(dir);
      assert.deepEqual(healed.warnings, []);
      check(healed);
      assertPrivate(dir);
    });
  }
});

/** Cuts the log in the middle of its last `finish` line, as a lost page of the file would. */
function cutInsideLastFinish(dir: string): void {
  const text = readFileSync(logOf(dir), 'utf8');
  const at = text.lastIndexOf('{"e":"finish"');
  truncateSync(logOf(dir), Buffer.byteLength(text.slice(0, at)) + 20);
}
