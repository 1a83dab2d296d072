import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { resolveClaudeExecutable } from '../../src/claude/claude-executor.js';
import { findExecutable } from '../../src/exec/find-executable.js';
import { resolveInterpreter } from '../../src/exec/shell-executor.js';
import { makeTempDir } from '../support/agent-process.js';

const tmp = makeTempDir('find-exe-');
after(() => tmp.cleanup());
const bin = path.join(tmp.dir, 'bin');
mkdirSync(bin);
writeFileSync(path.join(bin, 'tool'), '#!/bin/sh\n');
chmodSync(path.join(bin, 'tool'), 0o755);
writeFileSync(path.join(bin, 'not-executable'), 'x');

describe('finding executables without a shell', () => {
  test('searches PATH and returns an absolute path', () => {
    assert.equal(findExecutable('tool', { env: { PATH: `/nowhere:${bin}` } }), path.join(bin, 'tool'));
    assert.equal(findExecutable('not-executable', { env: { PATH: bin } }), null);
    assert.equal(findExecutable('missing', { env: { PATH: bin } }), null);
  });
  test('checks a given path as it is', () => {
    assert.equal(findExecutable(path.join(bin, 'tool')), path.join(bin, 'tool'));
    assert.equal(findExecutable(path.join(bin, 'missing')), null);
  });
  test('the Claude CLI: absolute path, or a clear "not found" reason', async () => {
    const found = await resolveClaudeExecutable(path.join(bin, 'tool'));
    assert.deepEqual(found, { path: path.join(bin, 'tool') });
    const missing = await resolveClaudeExecutable(path.join(bin, 'claude'));
    assert.ok('error' in missing && missing.error.startsWith(`Claude Code CLI not found at ${path.join(bin, 'claude')}`));
  });
  test('interpreters: /bin/sh for shell, python3 for python, cmd.exe verbatim on Windows', () => {
    const sh = resolveInterpreter('shell');
    assert.ok('file' in sh && sh.file === '/bin/sh' && sh.args('echo hi').join(' ') === '-c echo hi');
    const win = resolveInterpreter('shell', 'win32');
    assert.ok('file' in win && win.windowsVerbatim === true && win.args('dir').slice(0, 3).join(' ') === '/d /s /c');
    const py = resolveInterpreter('python');
    assert.ok('file' in py && path.isAbsolute(py.file));
  });
});
