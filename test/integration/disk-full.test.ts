import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test, type TestContext } from 'node:test';
import { z } from 'zod';
import { silentLogger } from '../../src/core/logger.js';
import { CommandLedger } from '../../src/store/command-ledger.js';
import { Journal } from '../../src/store/journal.js';
import { makeTempDir } from '../support/agent-process.js';
import { fillUp, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

const mounts: Tmpfs[] = [];
const tmp = makeTempDir('disk-full-');
after(() => {
  for (const m of mounts) m.unmount();
  tmp.cleanup();
});
const LIMIT_WRITER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support/journal-limit-writer.ts');

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
  assert.ok(text.endsWith('\n'), 'the journal ends on a line boundary');
  return text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as unknown);
}

function assertLoudFailure(err: unknown, file: string): void {
  assert.ok(err instanceof Error);
  assert.match(err.message, /not stored/);
  assert.ok(err.message.includes(file), 'the error names the journal');
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

test('disk full: every acknowledged ledger record survives a restart, failures are loud, no id is forgotten', async (t) => {
  const disk = smallDisk(t, 64 * 1024);
  if (!disk) return;
  const file = path.join(disk.dir, 'ledger.jsonl');
  const filler = path.join(disk.dir, 'filler');
  const ledger = new CommandLedger(file, clock, silentLogger);
  ledger.load();
  const acked: string[] = [];
  for (let i = 0; i < 5; i++) {
    await ledger.markRunning(`before-${i}`);
    acked.push(`before-${i}`);
  }
  await ledger.markFinished('before-0');
  let appends = 6;
  fillUp(filler);

  // The journal may still grow into space its file already holds; then a line is cut off mid-write.
  const failed: string[] = [];
  let tornTailSeen = false;
  for (let i = 0; failed.length < 3 && i < 10_000; i++) {
    const id = `cmd-${i}-${'x'.repeat(40)}`;
    try {
      await ledger.markRunning(id);
      acked.push(id);
      appends++;
    } catch (err) {
      assertLoudFailure(err, file);
      failed.push(id);
      if (!readFileSync(file, 'utf8').endsWith('\n')) tornTailSeen = true;
    }
  }
  assert.equal(failed.length, 3, 'appends fail once the disk is full');
  assert.ok(acked.length > 5, 'some appends landed in the space left');
  assert.ok(tornTailSeen, 'a line was torn by a short write');
  for (const id of failed) assert.equal(ledger.state(id), 'running', 'this process still will not run a refused id again');

  // A restart while the disk is still full, with a torn tail on disk.
  const whileFull = new CommandLedger(file, clock, silentLogger);
  whileFull.load();
  for (const id of acked) assert.equal(whileFull.state(id), id === 'before-0' ? 'finished' : 'running', id);
  for (const id of failed) assert.equal(whileFull.state(id), undefined, 'a refused record is not half-stored');
  assert.deepEqual(whileFull.unfinished().sort(), acked.filter((id) => id !== 'before-0').sort());

  unlinkSync(filler);
  await ledger.markRunning('after-free');
  await ledger.markFinished(acked[1]!);
  appends += 2;
  assert.equal(wholeLines(file).length, appends, 'the torn tail was cut, not buried mid-file');

  const restarted = new CommandLedger(file, clock, silentLogger);
  restarted.load();
  const running = [...acked.filter((id) => id !== 'before-0' && id !== acked[1]), 'after-free'];
  assert.deepEqual(restarted.unfinished().sort(), running.sort(), 'every id marked running is reported as interrupted');
  assert.equal(restarted.state(acked[1]!), 'finished');
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

test('a file-size limit cuts a line short (no root needed): acknowledged records survive, the torn one does not', async (t) => {
  if (process.platform !== 'linux' || !hasPrlimit()) {
    t.skip('needs Linux and prlimit(1) to run a writer under RLIMIT_FSIZE');
    return;
  }
  const file = path.join(tmp.dir, 'limited.jsonl');
  // 4000 bytes hold 13 whole 300-byte lines; the 14th is cut after 100 bytes, then refused (EFBIG).
  const child = spawn('prlimit', ['--fsize=4000', process.execPath, '--import', import.meta.resolve('tsx'), LIMIT_WRITER, file], {
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 60_000,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  const lines = out.trim().split('\n');
  const acked = lines.filter((l) => l.startsWith('ok ')).map((l) => Number(l.slice(3)));
  assert.deepEqual(acked, Array.from({ length: 13 }, (_, n) => n));
  assert.match(lines.at(-1)!, /^fail could not append to journal .*limited\.jsonl; the record was not stored: EFBIG/);
  assert.equal(statSync(file).size, 4000, 'part of the refused line reached the file');

  const reopened = new Journal(file, schema, silentLogger);
  assert.deepEqual(reopened.readAll().map((r) => r.n), acked);
  await reopened.append({ n: 99, pad: '' });
  assert.deepEqual((wholeLines(file) as Rec[]).map((r) => r.n), [...acked, 99]);
});
