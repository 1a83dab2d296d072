import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { ownCgroupDir, type CgroupKind } from '../../src/confine/cgroup-paths.js';
import { cgroupContainment, cgroupName, probeCgroup } from '../../src/confine/cgroup.js';
import { describeContainment, type ShellContainment } from '../../src/confine/containment.js';
import { findBwrap, pidNamespaceContainment, probePidNamespace } from '../../src/confine/pid-namespace.js';
import { killProcessTree, spawnTree } from '../../src/exec/process-tree.js';
import { runShellCommand } from '../../src/exec/shell-executor.js';
import { makeTempDir } from '../support/agent-process.js';
import { escapeScript, pidsWithArgv, uniqueSleepSeconds } from '../support/proc-find.js';
import { waitFor } from '../support/wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(ROOT, 'test/support/shell-escape-child.ts');
const NOBODY = 65534;
const tmp = makeTempDir('shell-escape-');
after(() => tmp.cleanup());

const running = (seconds: number): number[] => pidsWithArgv(['sleep', String(seconds)]);
const started = (seconds: number): Promise<void> => waitFor(() => running(seconds).length > 0, 10_000, `sleep ${seconds} did not start`);
const gone = (seconds: number): Promise<void> => waitFor(() => running(seconds).length === 0, 5000, `sleep ${seconds} escaped: ${running(seconds).join(',')}`);

/** Every mechanism this process could use here, each made directly (not only the probe's first choice). */
function availableMechanisms(): ShellContainment[] {
  const procCgroup = readFileSync('/proc/self/cgroup', 'utf8');
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  const out: ShellContainment[] = [];
  for (const kind of ['v2', 'v1-freezer'] as CgroupKind[]) {
    const dir = ownCgroupDir(kind, procCgroup, mountinfo);
    if (dir && probeCgroup(kind, dir) === null) out.push(cgroupContainment(kind, dir));
  }
  const bwrap = findBwrap();
  if (bwrap && probePidNamespace(bwrap) === null) out.push(pidNamespaceContainment(bwrap));
  return out;
}

/** Runs the child script (as `uid` when given): its whole stdout once it exits, and what it printed so far. */
function runChild(args: string[], uid?: number): { output: Promise<string>; soFar(): string; kill(): void } {
  const home = path.join(tmp.dir, `home-${uid ?? 'own'}`);
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: ROOT,
    env: { ...process.env, HOME: existsSync(home) ? home : tmp.dir },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(uid !== undefined ? { uid, gid: uid } : {}),
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const output = new Promise<string>((resolve, reject) =>
    child.on('exit', (code, sig) => (code === 0 || sig === 'SIGKILL' ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`)))),
  );
  return { output, soFar: () => out, kill: () => child.kill('SIGKILL') };
}

/** Whether an unprivileged user can reach the project (every parent directory searchable by others). */
function reachableByOthers(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (path.dirname(d) === d) return true;
  }
}

describe('an escaped grandchild (env -i setsid, re-parented to init) dies with its shell command', { skip: process.platform !== 'linux' }, () => {
  test('cancelled through the AbortSignal', async (t) => {
    t.diagnostic(`containment: ${JSON.stringify(describeContainment())}`);
    const seconds = uniqueSleepSeconds();
    const controller = new AbortController();
    const result = runShellCommand({
      kind: 'shell', script: escapeScript(seconds), timeoutMs: 60_000, outputLimitBytes: 4096, signal: controller.signal, onProgress: () => undefined,
    });
    await started(seconds);
    controller.abort();
    const r = await result;
    assert.equal(r.status, 'cancelled');
    assert.equal(r.exit_code, -1);
    await gone(seconds);
  });

  test('timed out', async () => {
    const seconds = uniqueSleepSeconds();
    const result = runShellCommand({
      kind: 'shell', script: escapeScript(seconds), timeoutMs: 2000, outputLimitBytes: 4096, signal: new AbortController().signal, onProgress: () => undefined,
    });
    await started(seconds);
    const r = await result;
    assert.equal(r.exit_code, 124);
    assert.equal(r.status, 'timed_out');
    await gone(seconds);
  });

  test('every containment mechanism available here kills it, passes arguments unchanged and cleans up', async (t) => {
    const mechanisms = availableMechanisms();
    t.diagnostic(`available: ${mechanisms.map((m) => m.mechanism).join(', ') || 'none'}`);
    for (const containment of mechanisms) {
      await t.test(containment.mechanism, async () => {
        const seconds = uniqueSleepSeconds();
        const tree = spawnTree('/bin/sh', ['-c', escapeScript(seconds)], { env: process.env, containment });
        await started(seconds);
        await tree.killTree();
        await gone(seconds);
        const cgroup = containment.mechanism.startsWith('cgroup') ? containment.detail.match(/under (\S+),/)?.[1] : undefined;
        if (cgroup) assert.ok(!existsSync(path.join(cgroup, cgroupName(tree.marker))), 'the per-command cgroup is removed');

        const tricky = ['$1', '"q" \'s\'', '; echo injected', '', '$(id)'];
        const echo = spawnTree('/usr/bin/printf', ['[%s]', ...tricky], { env: process.env, containment });
        let out = '';
        echo.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        assert.equal((await echo.exited).code, 0);
        assert.equal(out, tricky.map((a) => `[${a}]`).join(''));
      });
    }
  });

  test('as an unprivileged user (nobody), cancelled and timed out', async (t) => {
    if (process.getuid?.() !== 0 || !reachableByOthers(ROOT)) {
      t.skip('needs root to start a process as nobody, and a project directory others can reach');
      return;
    }
    chmodSync(tmp.dir, 0o755);
    const home = path.join(tmp.dir, `home-${NOBODY}`);
    mkdirSync(home);
    chownSync(home, NOBODY, NOBODY);
    for (const mode of ['abort', 'timeout']) {
      const seconds = uniqueSleepSeconds();
      const child = runChild([mode, String(seconds)], NOBODY);
      await started(seconds);
      const report = JSON.parse(await child.output) as { containment: { mechanism: string }; result: { status: string } };
      t.diagnostic(`nobody, ${mode}: ${JSON.stringify(report)}`);
      assert.equal(report.result.status, mode === 'abort' ? 'cancelled' : 'timed_out');
      assert.notEqual(report.containment.mechanism, 'process-walk', 'nobody gets a mechanism that catches the escapee');
      await gone(seconds);
    }
  });

  test("a crashed agent's leftovers, the escapee included, are killed by killProcessTree(undefined, marker)", async (t) => {
    const seconds = uniqueSleepSeconds();
    const marker = `crash${seconds}`;
    const child = runChild(['hang', String(seconds), marker]);
    await waitFor(() => child.soFar().includes('\n'), 15_000, 'the child did not start its command');
    child.kill();
    const output = await child.output;
    const mechanism = (JSON.parse(output.replace(/^ready /, '')) as { mechanism: string }).mechanism;
    if (mechanism === 'pid-namespace') return gone(seconds); // bwrap --die-with-parent: it died with the agent
    assert.ok(running(seconds).length > 0, 'the escapee outlived the crashed agent');
    t.diagnostic(`leftover of a crashed agent using ${mechanism}: ${running(seconds).length} escapee(s) alive`);
    await killProcessTree(undefined, marker);
    const withMarker = ['sh', '-c', escapeScript(seconds)];
    await waitFor(() => pidsWithArgv(withMarker).length === 0, 5000, 'the marked shell survived');
    if (mechanism !== 'process-walk') await gone(seconds);
    else process.kill(running(seconds)[0]!, 'SIGKILL');
  });
});
