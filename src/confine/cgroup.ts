/**
 * One cgroup per shell command (Linux). A cgroup keeps every process started inside it, whatever that
 * process does (new session, cleared environment, re-parented to init), so killing the cgroup kills the
 * whole command. cgroup v2: `cgroup.kill` kills every member at once, forks in flight included.
 * cgroup v1 freezer: freeze (nothing can fork any more), SIGKILL every member, thaw.
 * Node cannot spawn into a cgroup, so a `/bin/sh` trampoline moves itself in and then execs the command:
 * the cgroup directory, the program and its arguments reach it as argv, never as script text.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CgroupKind } from './cgroup-paths.js';
import type { LaunchPlan, ShellContainment } from './containment-types.js';

const PREFIX = 'gururmm-';
const TRAMPOLINE = 'echo $$ > "$1/cgroup.procs" || exit 126; shift; exec "$@"';

/** The cgroup directory name for a tree marker (the marker itself when it is a safe file name). */
export function cgroupName(marker: string): string {
  const safe = /^[A-Za-z0-9_-]{1,64}$/.test(marker) ? marker : createHash('sha256').update(marker).digest('hex').slice(0, 32);
  return PREFIX + safe;
}

/** The command line that joins the cgroup at `dir`, then becomes `file args` (same pid). */
export function cgroupTrampoline(dir: string, file: string, args: readonly string[]): LaunchPlan {
  return { file: '/bin/sh', args: ['-c', TRAMPOLINE, 'sh', dir, file, ...args] };
}

/** Containment by a per-command cgroup created under `parentDir` (this process's own cgroup). */
export function cgroupContainment(kind: CgroupKind, parentDir: string): ShellContainment {
  const dirOf = (marker: string): string => path.join(parentDir, cgroupName(marker));
  return {
    mechanism: kind === 'v2' ? 'cgroup-v2' : 'cgroup-v1-freezer',
    detail:
      kind === 'v2'
        ? `one cgroup v2 per command under ${parentDir}, killed with cgroup.kill`
        : `one cgroup v1 freezer per command under ${parentDir}, frozen, killed and thawed`,
    launch(marker, file, args) {
      const dir = dirOf(marker);
      try {
        mkdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      return cgroupTrampoline(dir, file, args);
    },
    kill: (marker) => killCgroup(kind, dirOf(marker)),
    release: (marker) => removeCgroup(dirOf(marker)),
  };
}

/** Kills every process in the cgroup at `dir` and its sub-cgroups, then removes them. Never throws. */
export async function killCgroup(kind: CgroupKind, dir: string): Promise<void> {
  for (let round = 0; round < 3 && existsSync(dir); round++) {
    try {
      const killFile = path.join(dir, 'cgroup.kill');
      if (kind === 'v2' && existsSync(killFile)) writeFileSync(killFile, '1');
      else if (kind === 'v1-freezer') await freezeAndKill(dir);
      else signalAll(pidsIn(dir));
    } catch {
      // the cgroup went away meanwhile, or is not ours: the process walk remains
    }
    if (await waitEmpty(dir, 1000)) break;
  }
  removeCgroup(dir);
}

async function freezeAndKill(dir: string): Promise<void> {
  const state = path.join(dir, 'freezer.state');
  writeFileSync(state, 'FROZEN');
  const deadline = Date.now() + 1000;
  while (readFileSync(state, 'utf8').trim() !== 'FROZEN' && Date.now() < deadline) await sleep(10);
  // A frozen process takes the SIGKILL once thawed; frozen, it can no longer fork.
  signalAll(pidsIn(dir));
  writeFileSync(state, 'THAWED');
}

/** Every pid in the cgroup at `dir` and below it. */
export function pidsIn(dir: string): number[] {
  const out: number[] = [];
  try {
    for (const p of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (p) out.push(Number(p));
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...pidsIn(path.join(dir, e.name)));
  } catch {
    // gone
  }
  return out.filter((p) => p !== process.pid);
}

/** Removes the cgroup at `dir` and its sub-cgroups if nothing runs in them; true once it is gone. */
export function removeCgroup(dir: string): boolean {
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroup(path.join(dir, e.name));
    rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Whether a cgroup of `kind` can be made under `parentDir` and a process moved into it: null if so,
 * else the reason. Also removes empty per-command cgroups older than a minute that a previous run left.
 */
export function probeCgroup(kind: CgroupKind, parentDir: string): string | null {
  const dir = path.join(parentDir, `${PREFIX}probe-${process.pid}`);
  try {
    mkdirSync(dir);
  } catch (err) {
    return `cannot create a cgroup under ${parentDir} (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  try {
    const control = kind === 'v2' ? 'cgroup.kill' : 'freezer.state';
    if (!existsSync(path.join(dir, control))) return `${parentDir} has no ${control} (kernel too old)`;
    const plan = cgroupTrampoline(dir, '/bin/true', []);
    const r = spawnSync(plan.file, plan.args, { stdio: 'ignore', timeout: 5000 });
    if (r.status !== 0) return `cannot move a process into a cgroup under ${parentDir}`;
    sweepStale(parentDir);
    return null;
  } finally {
    for (let i = 0; i < 50 && !removeCgroup(dir); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

function sweepStale(parentDir: string): void {
  for (const e of readdirSync(parentDir, { withFileTypes: true })) {
    if (!e.isDirectory() || !e.name.startsWith(PREFIX)) continue;
    const dir = path.join(parentDir, e.name);
    try {
      if (Date.now() - statSync(dir).mtimeMs > 60_000) removeCgroup(dir);
    } catch {
      // gone meanwhile
    }
  }
}

/** Directories called `name` anywhere below `roots` (a bounded walk of a cgroup hierarchy). */
export function findCgroupDirs(name: string, roots: readonly string[], maxDirs = 20_000): string[] {
  const found: string[] = [];
  const stack = roots.map((dir) => ({ dir, depth: 0 }));
  for (let visited = 0; stack.length > 0 && visited < maxDirs; visited++) {
    const { dir, depth } = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (e.name === name) found.push(path.join(dir, e.name));
      else if (depth < 16) stack.push({ dir: path.join(dir, e.name), depth: depth + 1 });
    }
  }
  return found;
}

function signalAll(pids: readonly number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function waitEmpty(dir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!existsSync(dir) || pidsIn(dir).length === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
