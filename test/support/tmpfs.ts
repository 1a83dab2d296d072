/** A small real filesystem that can be filled up, for disk-full tests (Linux, root only). */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { makeTempDir } from './agent-process.js';

export type Tmpfs = { dir: string; unmount(): void };

const COMMAND_TIMEOUT_MS = 10_000;

/** Mounts a tmpfs of `sizeBytes` on a fresh directory, or returns why that is not possible here. */
export function mountTmpfs(sizeBytes: number): Tmpfs | { skip: string } {
  if (process.platform !== 'linux') return { skip: `tmpfs needs Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { skip: 'mounting a tmpfs needs root; run the tests as root to exercise a full disk' };
  const tmp = makeTempDir('tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', tmp.dir], { stdio: 'pipe', timeout: COMMAND_TIMEOUT_MS });
  } catch (err) {
    tmp.cleanup();
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { skip: `could not mount a tmpfs (${stderr || (err as Error).message})` };
  }
  let mounted = true;
  return {
    dir: tmp.dir,
    unmount: () => {
      if (!mounted) return;
      mounted = false;
      // Lazy, so a handle still open somewhere cannot hang the test run.
      try {
        execFileSync('umount', ['-l', tmp.dir], { stdio: 'pipe', timeout: COMMAND_TIMEOUT_MS });
      } finally {
        tmp.cleanup();
      }
    },
  };
}

/** Writes `file` until the filesystem refuses another byte (ENOSPC); returns the bytes written. */
export function fillUp(file: string): number {
  const fd = openSync(file, 'w');
  let total = 0;
  try {
    for (const chunk of [65536, 4096, 256, 16, 1]) {
      const buf = Buffer.alloc(chunk, 0x78);
      for (;;) {
        try {
          total += writeSync(fd, buf);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return total;
}
