import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { isInsideDirectory, normalizeWindowsPath, resolveContextFiles, resolveWorkingDirectory } from '../../src/policy/path-guard.js';
import { makeTempDir } from '../support/agent-process.js';

const tmp = makeTempDir('path-guard-');
after(() => tmp.cleanup());
const base = path.join(tmp.dir, 'base');
mkdirSync(path.join(base, 'logs', 'deep'), { recursive: true });
mkdirSync(path.join(tmp.dir, 'base-evil'));
writeFileSync(path.join(base, 'logs', 'sync.log'), 'x');
writeFileSync(path.join(tmp.dir, 'secret.txt'), 'x');
symlinkSync(path.join(tmp.dir, 'base-evil'), path.join(base, 'escape'));
symlinkSync(path.join(tmp.dir, 'secret.txt'), path.join(base, 'logs', 'link-out.txt'));
symlinkSync(path.join(base, 'logs', 'sync.log'), path.join(base, 'logs', 'link-in.txt'));

describe('working directory (POSIX, real files)', () => {
  test('defaults to the base and resolves relative paths against it', async () => {
    assert.deepEqual(await resolveWorkingDirectory(base, null), { ok: true, value: base });
    assert.deepEqual(await resolveWorkingDirectory(base, 'logs'), { ok: true, value: path.join(base, 'logs') });
    assert.deepEqual(await resolveWorkingDirectory(base, 'logs/deep/..'), { ok: true, value: path.join(base, 'logs') });
    assert.deepEqual(await resolveWorkingDirectory(base, path.join(base, 'logs')), { ok: true, value: path.join(base, 'logs') });
  });

  test('refuses traversal, sibling prefixes, symlinks out, files and missing dirs', async () => {
    for (const bad of ['../../../Windows', '..', '../base-evil', path.join(tmp.dir, 'base-evil'), 'escape', '/etc']) {
      const r = await resolveWorkingDirectory(base, bad);
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.match(r.reason, /outside the allowed base directory/, bad);
    }
    const file = await resolveWorkingDirectory(base, 'logs/sync.log');
    assert.ok(!file.ok && /not a directory/.test(file.reason));
    const missing = await resolveWorkingDirectory(base, 'nope');
    assert.ok(!missing.ok && /does not exist/.test(missing.reason));
    const noBase = await resolveWorkingDirectory(path.join(tmp.dir, 'missing-base'), null);
    assert.ok(!noBase.ok && /claude\.baseDirectory/.test(noBase.reason));
  });
});

describe('context files', () => {
  const work = path.join(base, 'logs');
  test('accepts regular files inside, including symlinks that stay inside', async () => {
    assert.deepEqual(await resolveContextFiles(work, ['sync.log', './link-in.txt']), { ok: true, value: ['sync.log', 'sync.log'] });
  });
  test('refuses ../, absolute, symlinks out, directories, missing, NUL, and more than 20', async () => {
    const cases: [string[], RegExp][] = [
      [['../x'], /outside the working directory/],
      [['../../secret.txt'], /outside the working directory/],
      [[path.join(work, 'sync.log')], /relative to the working directory/],
      [['C:\\Windows\\win.ini'], /relative to the working directory/],
      [['link-out.txt'], /outside the working directory/],
      [['deep'], /not a regular file/],
      [['missing.log'], /does not exist/],
      [['a\0b'], /invalid characters/],
      [['bad\uD800name'], /invalid characters/],
      [Array.from({ length: 21 }, () => 'sync.log'), /at most 20/],
    ];
    for (const [files, pattern] of cases) {
      const r = await resolveContextFiles(work, files);
      assert.equal(r.ok, false, files.join(','));
      if (!r.ok) assert.match(r.reason, pattern, files.join(','));
    }
  });
});

describe('Windows path rules (path.win32)', () => {
  const w = path.win32;
  test('case-insensitive containment', () => {
    assert.equal(isInsideDirectory('C:\\Shares\\Test', 'c:\\shares\\test\\logs', w), true);
    assert.equal(isInsideDirectory('C:\\Shares\\test', 'C:\\SHARES\\TEST', w), true);
  });
  test('sibling prefixes and .. are outside', () => {
    assert.equal(isInsideDirectory('C:\\Shares\\test', 'C:\\Shares\\test-evil\\x', w), false);
    assert.equal(isInsideDirectory('C:\\Shares\\test', 'C:\\Shares\\test\\..\\..\\Windows', w), false);
    assert.equal(isInsideDirectory('C:\\Shares\\test', 'D:\\Shares\\test', w), false);
  });
  test('\\\\?\\ prefixes are stripped before comparing', () => {
    assert.equal(isInsideDirectory('C:\\Shares\\test', '\\\\?\\C:\\Shares\\test\\x', w), true);
    assert.equal(isInsideDirectory('C:\\Shares\\test', '\\\\?\\C:\\Windows', w), false);
    assert.equal(normalizeWindowsPath('\\\\?\\C:\\Shares\\Test'), 'c:\\shares\\test');
  });
  test('UNC paths are only inside a UNC base on the same share', () => {
    assert.equal(isInsideDirectory('C:\\Shares', '\\\\server\\share\\x', w), false);
    assert.equal(isInsideDirectory('\\\\server\\share', '\\\\?\\UNC\\server\\share\\x', w), true);
    assert.equal(isInsideDirectory('\\\\server\\share', '\\\\server\\other\\x', w), false);
    assert.equal(normalizeWindowsPath('\\\\?\\UNC\\Server\\Share\\X'), '\\\\server\\share\\x');
  });
  test('trailing dots and spaces on segments are ignored, as Windows does', () => {
    assert.equal(normalizeWindowsPath('C:\\Shares\\test.. \\x'), 'c:\\shares\\test\\x');
    assert.equal(isInsideDirectory('C:\\Shares\\test', 'C:\\Shares\\test. \\logs', w), true);
    assert.equal(isInsideDirectory('C:\\Shares\\test', 'C:\\Shares\\test-evil. ', w), false);
  });
});
