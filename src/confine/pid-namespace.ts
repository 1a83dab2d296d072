/**
 * A PID namespace per shell command, made with bubblewrap (Linux), for when no cgroup is ours to create.
 * The command is started as `bwrap <flags> -- file args`: bwrap's init is pid 1 of a fresh namespace, every
 * process the command starts lives in that namespace whatever it does, and when init dies the kernel kills
 * them all. Killing bwrap kills init (`--die-with-parent`), and so does the agent's own death.
 * `--dev-bind / /` and `--proc /proc` leave the file system as the command would see it anyway; only the
 * process table changes (see containment.ts for what that costs).
 */
import { spawnSync } from 'node:child_process';
import { findExecutable } from '../exec/find-executable.js';
import type { ShellContainment } from './containment-types.js';

/** The bubblewrap flags; nothing from the command is ever placed before `--`. */
export const BWRAP_PID_NAMESPACE_ARGS: readonly string[] = ['--dev-bind', '/', '/', '--proc', '/proc', '--unshare-pid', '--die-with-parent', '--'];

/** The absolute path of bwrap, or null. */
export function findBwrap(): string | null {
  return findExecutable('bwrap') ?? findExecutable('/usr/bin/bwrap');
}

/** Whether `bwrap` can make a PID namespace for this process: null if so, else the reason. */
export function probePidNamespace(bwrap: string | null): string | null {
  if (!bwrap) return 'bubblewrap (bwrap) is not installed';
  const r = spawnSync(bwrap, [...BWRAP_PID_NAMESPACE_ARGS, '/bin/true'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000, encoding: 'utf8' });
  if (r.status === 0) return null;
  const why = (r.stderr ?? '').trim().split('\n')[0] || r.error?.message || `exit ${String(r.status ?? r.signal)}`;
  return `bwrap cannot create a PID namespace here (${why})`;
}

/** Containment by a bubblewrap PID namespace per command. */
export function pidNamespaceContainment(bwrap: string): ShellContainment {
  return {
    mechanism: 'pid-namespace',
    detail: `a PID namespace per command (${bwrap} --unshare-pid --die-with-parent); killing bwrap kills everything in it`,
    launch: (_marker, file, args) => ({ file: bwrap, args: [...BWRAP_PID_NAMESPACE_ARGS, file, ...args] }),
    // The namespace is reached through its root process: the tree kill of bwrap's pid takes it down.
    kill: () => Promise.resolve(),
    release: () => true,
  };
}
