/** Start-up of the real headless agent where a service would start it: from `/`, or on a data directory it cannot write. */
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { makeTempDir, startAgentProcess, stopAgentProcess } from '../support/agent-process.js';

const tmp = makeTempDir('headless-start-');
chmodSync(tmp.dir, 0o755); // reachable by the unprivileged user some tests run as
after(() => tmp.cleanup());
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'src/headless/main.ts');
const NOBODY = 65534;
const STACK_LINE = /^\s+at /m;
const CONFIG = { serverUrl: 'ws://127.0.0.1:1/agent', apiKey: 'k' };
const AGENT_ID = '3f2b8c1a-6d4e-4a7b-9c0d-1e2f3a4b5c6d';

/** Whether an unprivileged user can reach the project (every parent directory searchable by others). */
function reachableByOthers(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (path.dirname(d) === d) return true;
  }
}

/** A data directory an earlier run left: both copies of the id and the log directory. */
function usedDataDir(name: string): { dir: string; dataDir: string } {
  const dir = path.join(tmp.dir, name);
  const dataDir = path.join(dir, 'data');
  mkdirSync(path.join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o755);
  for (const f of ['identity.json', 'identity.backup.json']) writeFileSync(path.join(dataDir, f), `{"agent_id":"${AGENT_ID}"}\n`, { mode: 0o600 });
  return { dir, dataDir };
}

function fingerprint(file: string): string {
  const st = statSync(file);
  return `${st.ino}:${st.mtimeMs}:${readFileSync(file, 'utf8')}`;
}

/** Starts the agent on a data directory it may read but not write; the agent must refuse in one line and change nothing. */
async function assertRefusedReadOnly(dir: string, dataDir: string, user: { uid: number; gid: number } | null): Promise<void> {
  const before = fingerprint(path.join(dataDir, 'identity.json'));
  const p = startAgentProcess({ dir, dataDir, config: CONFIG, env: { HOME: dir }, ...(user ?? {}) });
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  const code = await p.exited;
  clearTimeout(timer);
  const out = p.output().trim();
  assert.equal(code, 1, out);
  assert.doesNotMatch(out, STACK_LINE, 'no stack trace');
  assert.equal(out.split('\n').length, 1, `one line: ${out}`);
  assert.ok(out.includes(dataDir), out);
  assert.match(out, /cannot be used .*(EACCES|EROFS).*The agent did not start\.$/);
  assert.equal(fingerprint(path.join(dataDir, 'identity.json')), before, 'identity.json was not rewritten');
}

describe('a data directory the agent cannot write', () => {
  test('as an unprivileged user: exit 1 with one clear line, identity.json untouched', async (t) => {
    const asRoot = process.getuid?.() === 0;
    if (process.platform === 'win32') return t.skip('POSIX permissions only');
    if (asRoot && !reachableByOthers(ROOT)) return t.skip(`${ROOT} is not reachable by other users, so it cannot run as nobody`);
    const { dir, dataDir } = usedDataDir('ro-user');
    const user = asRoot ? { uid: NOBODY, gid: NOBODY } : null;
    if (user) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
    chmodSync(dataDir, 0o500);
    try {
      await assertRefusedReadOnly(dir, dataDir, user);
    } finally {
      chmodSync(dataDir, 0o700);
    }
  });

  test('on a read-only mount: exit 1 with one clear line, identity.json untouched', async (t) => {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) return t.skip('a read-only bind mount needs root on Linux');
    const { dir, dataDir } = usedDataDir('ro-mount');
    try {
      execFileSync('mount', ['--bind', dataDir, dataDir], { stdio: 'pipe' });
    } catch (err) {
      return t.skip(`could not bind-mount (${(err as { stderr?: Buffer }).stderr?.toString().trim() || String(err)})`);
    }
    try {
      execFileSync('mount', ['-o', 'remount,bind,ro', dataDir], { stdio: 'pipe' });
      await assertRefusedReadOnly(dir, dataDir, null);
    } finally {
      execFileSync('umount', ['-l', dataDir], { stdio: 'pipe' });
    }
  });

  test('a data directory that belongs to another user is refused in one line, not with a stack', async (t) => {
    if (process.getuid?.() !== 0 || !reachableByOthers(ROOT)) return t.skip('needs root, and the project reachable by nobody');
    const { dir, dataDir } = usedDataDir('foreign');
    chmodSync(dataDir, 0o755); // root's, and open to others: the agent (as nobody) may neither write nor tighten it
    const p = startAgentProcess({ dir, dataDir, config: CONFIG, env: { HOME: dir }, uid: NOBODY, gid: NOBODY });
    assert.equal(await p.exited, 1, p.output());
    assert.doesNotMatch(p.output(), STACK_LINE);
    assert.match(p.output().trim(), /^The data directory .* cannot be used \(EPERM.*The agent did not start\.$/);
  });
});

describe('started from / (as a service is)', () => {
  test('the log file is written in <dataDir>/logs and nothing prints a stack', async () => {
    const dir = path.join(tmp.dir, 'from-root');
    mkdirSync(dir, { recursive: true });
    const configPath = path.join(dir, 'agent.json');
    writeFileSync(configPath, JSON.stringify(CONFIG));
    const dataDir = path.join(dir, 'data');
    // --import is resolved from the working directory, so tsx is named by its full URL.
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), MAIN, '--config', configPath, '--data-dir', dataDir], {
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!/agent [0-9a-f-]{36} running/.test(stdout) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stdout + stderr);
    const logFile = path.join(dataDir, 'logs', 'agent.log');
    assert.ok(existsSync(logFile), `no log file at ${logFile}; stderr:\n${stderr}`);
    assert.match(readFileSync(logFile, 'utf8'), /agent starting/);
    assert.doesNotMatch(stderr, /Unhandled electron-log error|can't determine the app name/);
    assert.doesNotMatch(stderr, STACK_LINE);
  });

  test('a closed stdout does not make the agent spin on its own EPIPE errors; it still stops on SIGTERM', async (t) => {
    if (process.platform !== 'linux') return t.skip('reads CPU time from /proc');
    const dir = path.join(tmp.dir, 'epipe');
    mkdirSync(dir, { recursive: true });
    const p = startAgentProcess({ dir, config: CONFIG });
    await p.waitForOutput(/agent [0-9a-f-]{36} running/, 30_000);
    p.child.stdout!.destroy();
    p.child.stderr!.destroy();
    await new Promise((r) => setTimeout(r, 1500)); // reconnect attempts log to the closed console meanwhile
    const cpuBefore = cpuTicks(p.child.pid!);
    await new Promise((r) => setTimeout(r, 1000));
    const busy = cpuTicks(p.child.pid!) - cpuBefore;
    const code = await stopAgentProcess(p, 10_000);
    assert.ok(busy < 50, `the agent used ${busy} CPU ticks in an idle second`);
    assert.equal(code, 0);
    assert.match(readFileSync(path.join(p.dataDir, 'logs', 'agent.log'), 'utf8'), /agent stopped/, 'the file log goes on');
  });
});

/** User + system CPU time of a process, in clock ticks (Linux). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
