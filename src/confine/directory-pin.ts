/**
 * No gap between check and start (SPEC §4.2): the working directory is identified by device + inode when
 * it is checked, opened as a descriptor right before the CLI starts (and refused if it is no longer the
 * same directory at the same canonical path), handed to the CLI by descriptor, and the CLI's real cwd is
 * verified after it starts, before it is given the task.
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { descendantsOf, readParentLinks } from '../exec/process-table.js';
import { fail, pass, type Check } from '../policy/check.js';

/** A file's or directory's identity: the same path can name another one a moment later, this cannot. */
export interface DirectoryIdentity {
  dev: bigint;
  ino: bigint;
}

export function identityOf(p: string): DirectoryIdentity {
  const st = statSync(p, { bigint: true });
  return { dev: st.dev, ino: st.ino };
}

export function sameIdentity(a: DirectoryIdentity, b: DirectoryIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

const CHANGED = 'The working directory changed between the check and the start of the AI task (it was moved or replaced); the task was not started.';

/**
 * Opens the checked directory as a descriptor (never following a final symlink) and proves it is still the
 * checked one at the checked canonical path. The caller passes the descriptor on and closes it.
 */
export function pinDirectory(canonicalPath: string, expected: DirectoryIdentity): Check<number> {
  let fd: number;
  try {
    if (realpathSync(canonicalPath) !== canonicalPath) return fail(CHANGED);
    fd = openSync(canonicalPath, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch {
    return fail(CHANGED);
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    const here = process.platform === 'linux' ? readlinkSync(`/proc/self/fd/${fd}`) : canonicalPath;
    if (!st.isDirectory() || !sameIdentity({ dev: st.dev, ino: st.ino }, expected) || here !== canonicalPath) {
      closeSync(fd);
      return fail(CHANGED);
    }
  } catch {
    closeSync(fd);
    return fail(CHANGED);
  }
  return pass(fd);
}

/**
 * Linux: waits until `root` or one of its descendants runs `executable`, and checks that process's real
 * cwd is the pinned directory. Other platforms have no /proc to ask and pass (the pin is their guard).
 */
export async function verifyProcessCwd(
  root: number,
  executable: string,
  expected: DirectoryIdentity,
  opts: { timeoutMs: number; isAlive: () => boolean },
): Promise<Check<number>> {
  if (process.platform !== 'linux') return pass(root);
  const exe = identityOf(executable);
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const pid = findRunning(root, exe);
    if (pid !== null) {
      try {
        if (sameIdentity(identityOf(`/proc/${pid}/cwd`), expected)) return pass(pid);
      } catch {
        // it exited while we looked
      }
      return fail('The AI task\'s process did not start in the checked working directory; it was stopped before it was given the task.');
    }
    if (!opts.isAlive() || Date.now() > deadline) {
      return fail('The AI task\'s process could not be verified in its working directory; it was stopped before it was given the task.');
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The process in the tree running `exe` (compared by identity: inside a sandbox its path may read differently). */
function findRunning(root: number, exe: DirectoryIdentity): number | null {
  const candidates = [root, ...descendantsOf(root, readParentLinks())];
  for (const pid of candidates) {
    try {
      if (sameIdentity(identityOf(`/proc/${pid}/exe`), exe)) return pid;
    } catch {
      // gone, or not ours to read
    }
  }
  return null;
}
