import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff } from '../../src/connection/backoff.js';
import { CappedOutput } from '../../src/exec/output-capture.js';
import { ProgressCoalescer } from '../../src/exec/progress-coalescer.js';

describe('backoff with full jitter', () => {
  test('ceiling doubles from 1 s to the 60 s cap; delays are within [0, ceiling)', () => {
    const top = new Backoff({ random: () => 0.999999 });
    const ceilings = Array.from({ length: 10 }, () => top.next());
    assert.deepEqual(ceilings.map((d) => Math.round(d / 1000)), [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    const bottom = new Backoff({ random: () => 0 });
    assert.ok(Array.from({ length: 10 }, () => bottom.next()).every((d) => d === 0));
  });
  test('reset starts again at 1 s; atCap stays near the cap', () => {
    const b = new Backoff({ random: () => 0.999 });
    for (let i = 0; i < 8; i++) b.next();
    b.reset();
    assert.ok(b.next() < 1000);
    assert.ok(b.atCap() >= 30_000);
  });
});

describe('capped output', () => {
  test('keeps everything under the limit', () => {
    const c = new CappedOutput(100);
    c.write('hello ');
    c.write(Buffer.from('world'));
    assert.equal(c.toString(), 'hello world');
    assert.equal(c.truncated, false);
  });
  test('keeps head and tail with the number of bytes dropped', () => {
    const c = new CappedOutput(20);
    c.write('0123456789ABCDEFGHIJ-and-more-to-drop-THE-END');
    const s = c.toString();
    assert.ok(s.startsWith('0123456789\n[... '));
    assert.ok(s.endsWith('\nop-THE-END'), s);
    const dropped = Number(/\[\.\.\. (\d+) bytes truncated \.\.\.\]/.exec(s)![1]);
    assert.equal(dropped, 45 - 20);
  });
  test('never splits a UTF-8 character', () => {
    const c = new CappedOutput(11);
    c.write('ééééééééééééééééé'); // 2 bytes each
    const s = c.toString();
    assert.ok(!s.includes('\uFFFD'), s);
  });
  test('50 MB in 64 KiB chunks keeps memory at the limit', () => {
    const c = new CappedOutput(1024 * 1024);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 800; i++) c.write(chunk);
    assert.equal(c.totalBytes, 800 * 64 * 1024);
    assert.ok(c.retainedBytes <= 1024 * 1024 + 64 * 1024);
    // A short command costs what it wrote, not the limit: a burst of 1,000 must not hold 1,000 MiB.
    const short = new CappedOutput(1024 * 1024);
    short.write('hi\n');
    assert.equal(short.retainedBytes, 3);
    assert.equal(short.toString(), 'hi\n');
    assert.ok(c.toString().length < 1024 * 1024 + 100);
  });
});

describe('progress coalescer', () => {
  test('merges same-kind chunks, keeps order across kinds, numbers frames', () => {
    const frames: [string, string, number][] = [];
    const p = new ProgressCoalescer({ budgetBytes: 1000, intervalMs: 10_000, emit: (k, d, s) => frames.push([k, d, s]) });
    p.push('stdout', 'a'); // first push flushes at once
    p.push('stdout', 'b');
    p.push('stdout', 'c');
    p.push('stderr', 'e');
    p.push('stdout', 'd');
    p.close();
    assert.deepEqual(frames, [['stdout', 'a', 0], ['stdout', 'bc', 1], ['stderr', 'e', 2], ['stdout', 'd', 3]]);
  });
  test('stops after the byte budget with one marker', () => {
    const frames: string[] = [];
    const p = new ProgressCoalescer({ budgetBytes: 10, intervalMs: 10_000, emit: (_k, d) => frames.push(d) });
    for (let i = 0; i < 100; i++) p.push('stdout', 'xxxx');
    p.close();
    assert.equal(frames.filter((f) => f.includes('progress stopped')).length, 1);
    assert.equal(frames.filter((f) => !f.includes('progress stopped')).join('').length, 10);
  });
  test('at most about ten frames a second', async () => {
    let n = 0;
    const p = new ProgressCoalescer({ budgetBytes: 1e9, emit: () => n++ });
    const end = Date.now() + 1000;
    while (Date.now() < end) {
      p.push('stdout', 'x');
      await new Promise((r) => setImmediate(r));
    }
    p.close();
    assert.ok(n <= 13, `${n} frames in 1 s`);
  });
});
