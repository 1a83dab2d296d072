/**
 * The bubblewrap command line that confines the Claude Code CLI (SPEC §4.2 "Confinement"): the CLI and
 * everything it starts see only the working directory, the CLI's own installation, the system files a
 * program needs (read-only), a private /tmp and HOME, the CLI's private config dir, and a fresh PID
 * namespace that dies with the task. Pure: no file system access beyond what the caller passes in.
 */

/** Where the private HOME lives inside the sandbox (on its private /tmp). */
export const SANDBOX_HOME = '/tmp/home';

/** The file descriptor (in bwrap's stdio) that holds the pinned working directory. */
export const WORKDIR_FD = 3;

/**
 * System paths bound read-only when they exist. /etc is never bound whole: it holds secrets
 * (/etc/shadow, the agent's own policy file with its RMM key), so only what programs need is shown.
 */
export const SYSTEM_PATHS = [
  '/usr',
  '/etc/passwd',
  '/etc/group',
  '/etc/hosts',
  '/etc/resolv.conf',
  '/etc/nsswitch.conf',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/localtime',
  '/etc/timezone',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
  '/etc/crypto-policies',
  '/etc/os-release',
  '/run/systemd/resolve',
] as const;

/** Top-level names that merged-/usr systems make symlinks (`/bin -> usr/bin`); elsewhere they are directories. */
export const TOP_LEVEL_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'] as const;

export interface BwrapPlan {
  /** Canonical working directory: where the pinned directory is mounted and the CLI starts. */
  workingDirectory: string;
  /** Mount the working directory writable (only when the policy lets the task edit files). */
  writable: boolean;
  /** Directories holding the CLI (and its interpreter, if any), bound read-only at the same paths. */
  programPaths: string[];
  /** The CLI's private config dir, bound writable. */
  configDir: string;
  /** For each of TOP_LEVEL_LINKS that exists: its symlink target, or null when it is a real directory. */
  topLevel: Map<string, string | null>;
  /** SYSTEM_PATHS that exist on this machine. */
  systemPaths: string[];
  /** Running as root: drop every capability, or a root process inside could mount its way out. */
  dropCapabilities: boolean;
}

/** The argv for bwrap (without the bwrap path itself), ending with `--` so the command follows. */
export function buildBwrapArgs(plan: BwrapPlan): string[] {
  const args = [
    '--die-with-parent',
    '--new-session',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
  ];
  if (plan.dropCapabilities) args.push('--cap-drop', 'ALL');
  for (const [name, target] of plan.topLevel) {
    if (target === null) args.push('--ro-bind', name, name);
    else args.push('--symlink', target, name);
  }
  for (const p of plan.systemPaths) args.push('--ro-bind', p, p);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--dir', SANDBOX_HOME, '--tmpfs', '/var/tmp');
  for (const p of plan.programPaths) args.push('--ro-bind', p, p);
  args.push('--bind', plan.configDir, plan.configDir);
  // The working directory comes from an open descriptor, never from its path: a directory swapped for a
  // symlink after it was checked cannot redirect the mount.
  args.push(plan.writable ? '--bind-fd' : '--ro-bind-fd', String(WORKDIR_FD), plan.workingDirectory);
  args.push('--chdir', plan.workingDirectory, '--');
  return args;
}
