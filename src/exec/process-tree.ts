/**
 * Spawning a command so that its whole process tree can be stopped: on POSIX the child leads its own
 * process group, and killTree freezes then kills every descendant found by walking the process table
 * (programs start their own sessions, so a group kill alone is not enough) plus, on Linux, every
 * process still carrying the tree's environment marker (daemonised grandchildren re-parented to init).
 * On Windows, `taskkill /T /F` (a Job Object with kill-on-close would also catch break-away processes).
 * With `containment` (shell commands, Linux) the command also starts in a per-command cgroup or PID
 * namespace named after the marker (src/confine/containment.ts), which catches what the walk cannot:
 * an `env -i setsid` grandchild re-parented to init. The walk stays as the second layer.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { killContainer, launchContained, releaseContainer, type ShellContainment } from '../confine/containment.js';
import { descendantsOf, pidsWithEnvMarker, readParentLinks } from './process-table.js';

export const TREE_MARKER_ENV = 'GURURMM_TREE';

export interface TreeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started (e.g. ENOENT). */
  error?: Error;
}

export interface TreeProcess {
  readonly pid: number | undefined;
  readonly child: ChildProcess;
  readonly marker: string;
  /** Resolves once, never rejects: after exit and a short drain of stdout/stderr. */
  readonly exited: Promise<TreeExit>;
  /** Freezes every descendant, then kills them all and the child. Idempotent, never throws. */
  killTree(): Promise<void>;
}

/** How long stdout/stderr may stay open after the child exits (a background grandchild may hold them). */
const DRAIN_MS = 250;

export interface SpawnTreeOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  stdin?: 'pipe' | 'ignore';
  /** A caller-chosen marker (to find the tree again after an agent restart); random by default. */
  marker?: string;
  /** Windows: pass arguments as they are (cmd.exe /s /c "..." does its own parsing). */
  windowsVerbatimArguments?: boolean;
  /** Linux: start inside a per-command container: `auto` = the mechanism probed for this process. Elsewhere ignored. */
  containment?: 'auto' | ShellContainment;
  /** Open descriptors passed to the child as fds 3, 4, ... (e.g. a pinned working directory). */
  extraFds?: number[];
}

/** Starts `file` with `args` (never through a shell) as the root of a killable tree. */
export function spawnTree(file: string, args: readonly string[], options: SpawnTreeOptions): TreeProcess {
  const marker = options.marker ?? randomBytes(12).toString('hex');
  const plan = containedLaunch(file, args, options, marker);
  const child = spawn(plan?.file ?? file, plan?.args ?? [...args], {
    cwd: options.cwd,
    env: { ...options.env, [TREE_MARKER_ENV]: marker },
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe', ...(options.extraFds ?? [])],
    shell: false,
    detached: process.platform !== 'win32',
    windowsHide: true,
    windowsVerbatimArguments: options.windowsVerbatimArguments ?? false,
  });
  const exited = new Promise<TreeExit>((resolve) => {
    let settled = false;
    child.once('error', (error) => {
      if (settled) return;
      if (child.pid === undefined) {
        settled = true;
        if (plan) releaseContainer(marker);
        resolve({ code: null, signal: null, error });
      }
    });
    child.once('exit', (code, signal) => {
      const finish = (): void => {
        if (settled) return;
        settled = true;
        if (plan && !killing) releaseContainer(marker);
        resolve({ code, signal });
      };
      const streams = [child.stdout, child.stderr].filter((s) => s && !s.closed);
      if (streams.length === 0) return finish();
      let open = streams.length;
      const timer = setTimeout(() => {
        for (const s of streams) s?.destroy();
        finish();
      }, DRAIN_MS);
      for (const s of streams) {
        s?.once('close', () => {
          if (--open === 0) {
            clearTimeout(timer);
            finish();
          }
        });
      }
    });
  });
  let killing: Promise<void> | null = null;
  return {
    get pid() {
      return child.pid;
    },
    child,
    marker,
    exited,
    killTree: () => (killing ??= killProcessTree(child.pid, marker)),
  };
}

/**
 * Kills the tree rooted at `pid` and everything carrying `marker`, and the container named after `marker`:
 * the one this process made, or (with no `pid`, after an agent restart) one a previous run left.
 * Safe to call for dead pids.
 */
export async function killProcessTree(pid: number | undefined, marker: string | null): Promise<void> {
  try {
    if (process.platform === 'win32') {
      if (pid !== undefined) await taskkill(pid);
      return;
    }
    if (process.platform === 'linux' && marker) await killContainer(marker, pid === undefined);
    const frozen = new Set<number>();
    // Freeze in rounds until nothing new appears, so no process can fork a child we have not seen.
    for (let round = 0; round < 10; round++) {
      const found = collectTree(pid, marker).filter((p) => !frozen.has(p));
      if (found.length === 0) break;
      for (const p of found) {
        signal(p, 'SIGSTOP');
        frozen.add(p);
      }
    }
    if (pid !== undefined) signal(-pid, 'SIGKILL');
    for (const p of frozen) signal(p, 'SIGKILL');
    if (pid !== undefined) signal(pid, 'SIGKILL');
  } catch {
    // never throw from a kill path
  }
}

/** The command line inside the container, or null to spawn `file` directly (no containment, or it failed). */
function containedLaunch(file: string, args: readonly string[], options: SpawnTreeOptions, marker: string): { file: string; args: string[] } | null {
  if (!options.containment || process.platform !== 'linux') return null;
  try {
    // A program or cwd that cannot be used is spawned directly, so the error stays the one spawn reports.
    accessSync(file, constants.X_OK);
    if (options.cwd && !statSync(options.cwd).isDirectory()) return null;
  } catch {
    return null;
  }
  return launchContained(marker, file, args, options.containment === 'auto' ? undefined : options.containment);
}

function collectTree(pid: number | undefined, marker: string | null): number[] {
  const links = readParentLinks();
  const roots = new Set<number>();
  if (pid !== undefined && isAlive(pid)) roots.add(pid);
  if (marker) for (const p of pidsWithEnvMarker(TREE_MARKER_ENV, marker)) roots.add(p);
  const all = new Set<number>(roots);
  for (const r of roots) for (const d of descendantsOf(r, links)) all.add(d);
  all.delete(process.pid);
  return [...all];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function taskkill(pid: number): Promise<void> {
  return new Promise((resolve) => {
    execFile('taskkill', ['/T', '/F', '/PID', String(pid)], { windowsHide: true, timeout: 10_000 }, () => resolve());
  });
}
