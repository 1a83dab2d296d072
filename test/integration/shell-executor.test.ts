import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runShellCommand, type ShellRunRequest } from '../../src/exec/shell-executor.js';
import type { StopRequest } from '../../src/exec/types.js';
import { makeTempDir } from '../support/agent-process.js';
import { waitFor } from '../support/wait.js';

const tmp = makeTempDir('shell-exec-');
after(() => tmp.cleanup());

function run(script: string, extra: Partial<ShellRunRequest> = {}) {
  const progress: { kind: string; data: string }[] = [];
  const promise = runShellCommand({
    kind: 'shell',
    script,
    timeoutMs: 30_000,
    outputLimitBytes: 1024 * 1024,
    signal: new AbortController().signal,
    onProgress: (kind, data) => progress.push({ kind, data }),
    ...extra,
  });
  return { promise, progress };
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

function readPids(file: string): number[] {
  return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map(Number);
}

describe('shell executor', () => {
  test('captures stdout and stderr and reports success', async () => {
    const { promise, progress } = run('echo hi; echo oops >&2');
    const r = await promise;
    assert.equal(r.exit_code, 0);
    assert.equal(r.status, 'succeeded');
    assert.equal(r.reason, null);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.stderr, 'oops\n');
    assert.ok(progress.some((p) => p.kind === 'stdout' && p.data.includes('hi')));
  });

  test("passes the process's own exit code through", async () => {
    const r = await run('exit 3').promise;
    assert.equal(r.exit_code, 3);
    assert.equal(r.status, 'failed');
    assert.match(r.reason ?? '', /code 3/);
  });

  test('python commands run with python3', async () => {
    const r = await runShellCommand({
      kind: 'python', script: 'import sys; print(6*7); sys.exit(0)', timeoutMs: 30_000, outputLimitBytes: 4096,
      signal: new AbortController().signal, onProgress: () => undefined,
    });
    assert.equal(r.stdout.trim(), '42');
    assert.equal(r.exit_code, 0);
  });

  test('timeout gives 124 and kills grandchildren, new sessions and daemonised processes too', async () => {
    const pidFile = path.join(tmp.dir, 'pids');
    const script = [
      `setsid sleep 300 & echo $! >> ${pidFile}`,
      `sh -c 'sleep 300 & echo $! >> ${pidFile}; wait' &`,
      `(setsid sh -c 'echo $$ >> ${pidFile}; exec sleep 300' &) &`,
      'sleep 300',
    ].join('\n');
    const started = Date.now();
    const r = await run(script, { timeoutMs: 1500 }).promise;
    assert.equal(r.exit_code, 124);
    assert.equal(r.status, 'timed_out');
    assert.ok(Date.now() - started < 10_000, 'result soon after the deadline');
    const pids = readPids(pidFile);
    assert.equal(pids.length, 3, `three background processes were started: ${pids.join(',')}`);
    await waitFor(() => pids.every((p) => !alive(p)), 5000, `processes still alive: ${pids.filter(alive).join(',')}`);
  });

  test('an abort stops the command with the stop request status and reason', async () => {
    const controller = new AbortController();
    const { promise } = run('sleep 30', { signal: controller.signal });
    setTimeout(() => controller.abort({ status: 'cancelled', reason: 'stopped by the local user' } satisfies StopRequest), 300);
    const r = await promise;
    assert.equal(r.exit_code, -1);
    assert.equal(r.status, 'cancelled');
    assert.equal(r.reason, 'stopped by the local user');
  });

  test('50 MB of output is capped with a marker and memory stays bounded', async () => {
    const before = process.memoryUsage().rss;
    let progressBytes = 0;
    const r = await run("head -c 52428800 /dev/zero | tr '\\0' 'x'; echo; echo THE-END", {
      outputLimitBytes: 1024 * 1024,
      onProgress: (_kind, data) => (progressBytes += data.length),
    }).promise;
    assert.ok(progressBytes > 50_000_000, 'every chunk was offered as progress');
    const grown = process.memoryUsage().rss - before;
    assert.equal(r.exit_code, 0);
    assert.ok(r.stdout.length < 1024 * 1024 + 200, `stdout capped, got ${r.stdout.length}`);
    assert.match(r.stdout, /\[\.\.\. \d+ bytes truncated \.\.\.\]/);
    assert.ok(r.stdout.trimEnd().endsWith('THE-END'), 'the tail is kept');
    assert.ok(grown < 40 * 1024 * 1024, `rss grew by ${Math.round(grown / 1048576)} MiB`);
  });
});
