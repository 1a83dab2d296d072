import { execFile } from 'node:child_process';

/**
 * Whether this process runs elevated (root / Administrator). The agent never elevates itself; it only
 * refuses `elevated: true` commands when it is not.
 */
export async function isElevated(platform: NodeJS.Platform = process.platform): Promise<boolean> {
  if (platform !== 'win32') return typeof process.getuid === 'function' && process.getuid() === 0;
  // `net session` succeeds only for members of the Administrators group running elevated.
  return new Promise((resolve) => {
    execFile('net', ['session'], { windowsHide: true, timeout: 5000 }, (err) => resolve(!err));
  });
}
