/** Resolves a program name to an absolute path the way a shell would, without using a shell. */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Finds `name` on PATH (or checks it if it is already a path). On Windows only the extensions in
 * `extensions` are tried (default `.exe`), so a `.cmd` shim that needs a shell is never picked.
 */
export function findExecutable(
  name: string,
  opts: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; extensions?: string[] } = {},
): string | null {
  const platform = opts.platform ?? process.platform;
  const env = opts.env ?? process.env;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const exts = platform === 'win32' ? (opts.extensions ?? ['.exe']) : [''];
  const candidates = (base: string): string[] =>
    platform === 'win32' && exts.some((e) => base.toLowerCase().endsWith(e)) ? [base] : exts.map((e) => base + e);
  if (name.includes('/') || (platform === 'win32' && name.includes('\\'))) {
    for (const c of candidates(p.resolve(name))) if (isExecutableFile(c, platform)) return c;
    return null;
  }
  const pathVar = env.PATH ?? env.Path ?? '';
  for (const dir of pathVar.split(platform === 'win32' ? ';' : ':')) {
    if (!dir) continue;
    for (const c of candidates(p.join(dir, name))) if (isExecutableFile(c, platform)) return p.resolve(c);
  }
  return null;
}

function isExecutableFile(file: string, platform: NodeJS.Platform): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    if (platform !== 'win32') accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
