/**
 * Which mechanism keeps a shell command's processes together so that they all die with it (Linux),
 * chosen once per agent process, strongest first:
 * 1. cgroup v2 with `cgroup.kill`, in a child of the agent's own cgroup (root, or a delegated systemd
 *    unit/user scope): catches re-parented, new-session, environment-cleared processes and changes
 *    nothing the command sees. Outside a delegated unit systemd does not know about these child cgroups.
 * 2. cgroup v1 freezer (hybrid or legacy hierarchies, typically root): the same guarantee.
 * 3. A bubblewrap PID namespace: the same guarantee, but the command sees it. `ps` and `kill` see only
 *    the command's own processes (so `pkill someapp` finds nothing outside it), `$$` is small, background
 *    processes end when the command ends, and for a non-root agent bwrap needs a user namespace: files of
 *    other users show as `nobody`, and setuid programs (sudo) cannot gain privileges (no_new_privs).
 * 4. Nothing more: the /proc walk + environment marker of exec/process-tree.ts, which an `env -i setsid`
 *    grandchild escapes. That walk also runs after every mechanism above, as a second layer.
 * Per-command containers are named after the tree marker, so a restarted agent finds and kills what a
 * crashed one left (cgroups only; a PID namespace already died with the crashed agent).
 */
import { readFileSync } from 'node:fs';
import { cgroupMounts, ownCgroupDir, type CgroupKind } from './cgroup-paths.js';
import { cgroupContainment, cgroupName, findCgroupDirs, killCgroup, probeCgroup } from './cgroup.js';
import type { ContainmentDescription, LaunchPlan, ShellContainment } from './containment-types.js';
import { findBwrap, pidNamespaceContainment, probePidNamespace } from './pid-namespace.js';

export type { ContainmentDescription, ContainmentMechanism, ShellContainment } from './containment-types.js';

/** What the choice looks at; the defaults read the real system. */
export interface ContainmentProbeDeps {
  platform: NodeJS.Platform;
  readText(file: string): string | null;
  probeCgroup(kind: CgroupKind, dir: string): string | null;
  findBwrap(): string | null;
  probePidNamespace(bwrap: string | null): string | null;
}

/** The chosen mechanism: `containment` is null for the process walk alone. */
export interface ContainmentChoice extends ContainmentDescription {
  containment: ShellContainment | null;
}

const realDeps: ContainmentProbeDeps = { platform: process.platform, readText, probeCgroup, findBwrap, probePidNamespace };

/** Picks the strongest mechanism that works for this process (runs trial spawns; see shellContainment for the cached one). */
export function chooseContainment(deps: ContainmentProbeDeps = realDeps): ContainmentChoice {
  if (deps.platform === 'win32') return walk('taskkill /T /F on the process tree');
  if (deps.platform !== 'linux') return walk('walk of the process table (ps), process groups');
  const procCgroup = deps.readText('/proc/self/cgroup') ?? '';
  const mountinfo = deps.readText('/proc/self/mountinfo') ?? '';
  const rejected: string[] = [];
  for (const kind of ['v2', 'v1-freezer'] as const) {
    const label = kind === 'v2' ? 'cgroup v2' : 'cgroup v1 freezer';
    const dir = ownCgroupDir(kind, procCgroup, mountinfo);
    const why = dir ? deps.probeCgroup(kind, dir) : 'not mounted';
    if (dir && why === null) return chosen(cgroupContainment(kind, dir));
    rejected.push(`${label}: ${why}`);
  }
  const bwrap = deps.findBwrap();
  const why = deps.probePidNamespace(bwrap);
  if (bwrap && why === null) return chosen(pidNamespaceContainment(bwrap));
  rejected.push(`PID namespace: ${why}`);
  return walk(`walk of /proc plus an environment marker only; an env -i setsid process can escape it (${rejected.join('; ')})`);
}

let cached: ContainmentChoice | undefined;
const active = new Map<string, ShellContainment>();

/** The mechanism for this process, probed on first use and then cached. */
export function shellContainment(): ContainmentChoice {
  return (cached ??= chooseContainment());
}

/** Which mechanism keeps shell commands together, for the log. */
export function describeContainment(): ContainmentDescription {
  const { mechanism, detail } = shellContainment();
  return { mechanism, detail };
}

/**
 * The command line that starts `file args` in a fresh container named after `marker`, or null when there
 * is no mechanism or the container cannot be made (then only the process walk applies).
 */
export function launchContained(marker: string, file: string, args: readonly string[], containment = shellContainment().containment): LaunchPlan | null {
  if (!containment) return null;
  try {
    const plan = containment.launch(marker, file, args);
    active.set(marker, containment);
    return plan;
  } catch {
    return null;
  }
}

/** After the command ended on its own: drops its container if nothing runs in it any more. */
export function releaseContainer(marker: string): void {
  // A container that still holds background processes stays known, so a later kill still finds it.
  if (active.get(marker)?.release(marker)) active.delete(marker);
}

/**
 * Kills the container of `marker`: the one this process made or, with `searchLeftovers`, any cgroup of
 * that name in the mounted hierarchies (what a previous agent process left). Never throws.
 */
export async function killContainer(marker: string, searchLeftovers: boolean): Promise<void> {
  try {
    const c = active.get(marker);
    if (c) {
      await c.kill(marker);
      active.delete(marker);
      return;
    }
    if (!searchLeftovers || process.platform !== 'linux') return;
    const name = cgroupName(marker);
    for (const mount of cgroupMounts(readText('/proc/self/mountinfo') ?? '')) {
      for (const dir of findCgroupDirs(name, [mount.mountPoint])) await killCgroup(mount.kind, dir);
    }
  } catch {
    // never throw from a kill path
  }
}

function chosen(containment: ShellContainment): ContainmentChoice {
  return { mechanism: containment.mechanism, detail: containment.detail, containment };
}

function walk(detail: string): ContainmentChoice {
  return { mechanism: 'process-walk', detail, containment: null };
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
