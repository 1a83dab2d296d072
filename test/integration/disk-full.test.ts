import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test, type TestContext } from 'node:test';
import { z } from 'zod';
import { silentLogger } from '../../src/core/logger.js';
import type { CommandResultPayload, TaskRecord } from '../../src/contracts/wire.js';
import { CommandStore } from '../../src/store/command-store.js';
import { Journal } from '../../src/store/journal.js';
import { makeTempDir } from '../support/agent-process.js';
import { fillUp, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

const mounts: Tmpfs[] = [];
const tmp = makeTempDir('disk-full-');
after(() => {
  for (const m of mounts) m.unmount();
  tmp.cleanup();
});
const SUPPORT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support');

/** A fresh small tmpfs, or null once the test has been skipped with the reason. */
function smallDisk(t: TestContext, sizeBytes: number): Tmpfs | null {
  const m = mountTmpfs(sizeBytes);
  if ('skip' in m) {
    t.skip(m.skip);
    return null;
  }
  mounts.push(m);
  return m;
}

const clock = { now: () => Date.UTC(2026, 0, 1) };
const schema = z.object({ n: z.number(), pad: z.string() });
type Rec = z.infer<typeof schema>;

/** A record whose NDJSON line is exactly `bytes` long. */
function recordOfLine(n: number, bytes: number): Rec {
  const overhead = Buffer.byteLength(`${JSON.stringify({ n, pad: '' })}\n`);
  return { n, pad: 'p'.repeat(bytes - overhead) };
}

/** The file's lines; asserts that each is a whole JSON record and the file ends on a line boundary. */
function wholeLines(file: string): unknown[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), 'the file ends on a line boundary');
  return text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as unknown);
}

function running(id: string): TaskRecord {
  const iso = new Date(clock.now()).toISOString();
  return {
    id, kind: 'shell', summary: `echo ${id}`, requested_by: null, working_directory: null, received_at: iso, started_at: iso,
    finished_at: null, status: 'running', exit_code: null, duration_ms: null, reason: null, stdout: '', stderr: '', decisions: [],
  };
}
const finished = (id: string): TaskRecord => ({ ...running(id), status: 'succeeded', exit_code: 0, duration_ms: 1, stdout: id, finished_at: running(id).started_at });
const resultFor = (id: string): CommandResultPayload => ({ command_id: id, exit_code: 0, stdout: id, stderr: '', duration_ms: 1, status: 'succeeded', reason: null });
const ids = (records: { id: string }[]): string[] => records.map((r) => r.id);

function assertLoudFailure(err: unknown, file: string): void {
  assert.ok(err instanceof Error);
  assert.match(err.message, /not stored/);
  assert.ok(err.message.includes(file), 'the error names the file');
  assert.equal((err.cause as NodeJS.ErrnoException | undefined)?.code, 'ENOSPC');
}

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

test('disk full: every start and finish that resolved survives a restart, failures are loud, no stored id is forgotten', async (t) => {
  const disk = smallDisk(t, 64 * 1024);
  if (!disk) return;
  const file = path.join(disk.dir, 'commands.jsonl');
  const filler = path.join(disk.dir, 'filler');
  const store = new CommandStore(disk.dir, clock, silentLogger);
  store.load();
  const stored: string[] = [];
  for (let i = 0; i < 5; i++) {
    await store.start(running(`before-${i}`));
    stored.push(`before-${i}`);
  }
  await store.finish(finished('before-0'), resultFor('before-0'));
  fillUp(filler);

  // The log may still grow into space its file already holds; then a write is cut short.
  const failed: string[] = [];
  for (let i = 0; failed.length < 3 && i < 10_000; i++) {
    const id = `cmd-${i}-${'x'.repeat(40)}`;
    const sizeBefore = statSync(file).size;
    try {
      await store.start(running(id));
      stored.push(id);
    } catch (err) {
      assertLoudFailure(err, file);
      failed.push(id);
      assert.equal(statSync(file).size, sizeBefore, 'nothing of a refused line stays in the file');
    }
  }
  assert.equal(failed.length, 3, 'starts fail once the disk is full');
  assert.ok(stored.length > 5, 'some starts landed in the space left');
  for (const id of failed) assert.equal(store.state(id), undefined, 'a start that was not stored is not half-known');
  const held = stored[1]!;
  await assert.rejects(store.finish(finished(held), resultFor(held)), (err) => (assertLoudFailure(err, file), true));
  assert.equal(store.state(held), 'running', 'a finish that was not stored leaves the command running');
  assert.deepEqual(store.pending().map((r) => r.command_id), ['before-0']);

  // A restart while the disk is still full.
  const whileFull = new CommandStore(disk.dir, clock, silentLogger);
  whileFull.load();
  assert.deepEqual(whileFull.warnings.filter((w) => w.includes(file)), [], 'nothing in the command log is unreadable');
  for (const id of stored) assert.equal(whileFull.state(id), id === 'before-0' ? 'finished' : 'running', id);
  for (const id of failed) assert.equal(whileFull.state(id), undefined, 'a refused start is not half-stored');
  assert.deepEqual(ids(whileFull.unfinishedAtLoad()).sort(), stored.filter((id) => id !== 'before-0').sort());

  unlinkSync(filler);
  await store.start(running('after-free'));
  await store.finish(finished(held), resultFor(held));
  await store.close();
  assert.equal(wholeLines(file).length, stored.length + 3, 'every stored event, each a whole line');

  const restarted = new CommandStore(disk.dir, clock, silentLogger);
  restarted.load();
  const stillRunning = [...stored.filter((id) => id !== 'before-0' && id !== held), 'after-free'];
  assert.deepEqual(ids(restarted.unfinishedAtLoad()).sort(), stillRunning.sort(), 'every id whose start was stored is reported as interrupted');
  assert.equal(restarted.state(held), 'finished');
  assert.deepEqual(restarted.pending(), [resultFor('before-0'), resultFor(held)]);
});

test('a short write is not acknowledged, and the half line is cut before the next append, in and across processes', async (t) => {
  const disk = smallDisk(t, 64 * 1024);
  if (!disk) return;
  const file = path.join(disk.dir, 'journal.jsonl');
  const filler = path.join(disk.dir, 'filler');
  const block = statSync(disk.dir).blksize;
  const journal = new Journal(file, schema, silentLogger);
  // The file's last block keeps room for 50 bytes: half of the next 100-byte line.
  const first = recordOfLine(0, block - 50);
  await journal.append(first);
  fillUp(filler);

  await assert.rejects(journal.append(recordOfLine(1, 100)), (err) => (assertLoudFailure(err, file), true));
  assert.equal(statSync(file).size, block, 'half of the line reached the disk');
  assert.deepEqual(new Journal(file, schema, silentLogger).readAll(), [first]);

  unlinkSync(filler);
  const third = recordOfLine(2, 100);
  await journal.append(third);
  assert.deepEqual(wholeLines(file), [first, third]);

  // The same after a restart: a new process finds the torn tail and cuts it.
  fillUp(filler);
  await assert.rejects(journal.append(recordOfLine(3, block)), (err) => (assertLoudFailure(err, file), true));
  assert.ok(!readFileSync(file, 'utf8').endsWith('\n'), 'a torn tail is on disk');
  unlinkSync(filler);
  const reopened = new Journal(file, schema, silentLogger);
  assert.deepEqual(reopened.readAll(), [first, third]);
  const fifth = recordOfLine(4, 60);
  await reopened.append(fifth);
  assert.deepEqual(wholeLines(file), [first, third, fifth]);
});

test('compaction on a full disk keeps the journal and its view, and appends go on once space is back', async (t) => {
  const disk = smallDisk(t, 64 * 1024);
  if (!disk) return;
  const file = path.join(disk.dir, 'journal.jsonl');
  const filler = path.join(disk.dir, 'filler');
  const journal = new Journal(file, schema, silentLogger);
  const records = Array.from({ length: 20 }, (_, n) => recordOfLine(n, 200));
  for (const r of records) await journal.append(r);
  fillUp(filler);

  assert.equal(await journal.rewrite(records.slice(10)), false, 'compaction reports that it did not happen');
  assert.deepEqual(readdirSync(disk.dir).sort(), ['filler', 'journal.jsonl'], 'no temp file is left behind');
  assert.equal(journal.lineCount, 20);

  unlinkSync(filler);
  const extra = recordOfLine(20, 200);
  await journal.append(extra);
  assert.deepEqual(new Journal(file, schema, silentLogger).readAll(), [...records, extra]);
  assert.equal(journal.lineCount, 21);
});

/** Runs a writer script from test/support on `file` under a 4,000-byte file-size limit; returns its lines. */
async function writeUnderLimit(script: string, file: string): Promise<string[]> {
  const child = spawn('prlimit', ['--fsize=4000', process.execPath, '--import', import.meta.resolve('tsx'), path.join(SUPPORT, script), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 60_000,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, out);
  return out.trim().split('\n');
}
const okNumbers = (lines: string[]): number[] => lines.filter((l) => l.startsWith('ok ')).map((l) => Number(l.slice(3)));
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test('a file-size limit cuts a line short (no root needed): acknowledged records survive, the torn one does not', async (t) => {
  if (process.platform !== 'linux' || !hasPrlimit()) {
    t.skip('needs Linux and prlimit(1) to run a writer under RLIMIT_FSIZE');
    return;
  }
  const file = path.join(tmp.dir, 'limited.jsonl');
  // 4000 bytes hold 13 whole 300-byte lines; the 14th is cut after 100 bytes, then refused (EFBIG).
  const lines = await writeUnderLimit('journal-limit-writer.ts', file);
  const acked = okNumbers(lines);
  assert.deepEqual(acked, upTo(13));
  assert.match(lines.at(-1)!, /^fail could not append to journal .*limited\.jsonl; the record was not stored: EFBIG/);
  assert.equal(statSync(file).size, 4000, 'part of the refused line reached the file');

  const reopened = new Journal(file, schema, silentLogger);
  assert.deepEqual(reopened.readAll().map((r) => r.n), acked);
  await reopened.append({ n: 99, pad: '' });
  assert.deepEqual((wholeLines(file) as Rec[]).map((r) => r.n), [...acked, 99]);
});

test('the command log writer continues a short write, and cuts a refused batch back at once (file-size limit)', async (t) => {
  if (process.platform !== 'linux' || !hasPrlimit()) {
    t.skip('needs Linux and prlimit(1) to run a writer under RLIMIT_FSIZE');
    return;
  }
  const file = path.join(tmp.dir, 'limited-log.jsonl');
  const lines = await writeUnderLimit('log-limit-writer.ts', file);
  // The burst of 6,000 bytes is one batch: 4,000 of them are written, the rest refused; all 20 are refused and cut.
  assert.equal(lines[0], 'burst 0 stored, 20 refused');
  assert.equal(lines[1], 'size 0', 'the refused batch was cut back to the last whole line');
  assert.deepEqual(okNumbers(lines).slice(0, 13), upTo(13));
  const fail = lines.find((l) => l.startsWith('fail '));
  assert.match(fail ?? '', /^fail could not append to .*limited-log\.jsonl; the records were not stored: EFBIG/);
  assert.equal(lines[lines.indexOf(fail!) + 1], 'size 3900', 'the torn 14th line was cut at once');
  assert.equal(lines.at(-1), 'ok 99', 'appends go on after the failure');
  assert.deepEqual((wholeLines(file) as { n: number }[]).map((r) => r.n), [...upTo(13), 99]);
});
