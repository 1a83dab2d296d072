/**
 * Checks 3 and 4 of SPEC §4.2: the working directory and the context files must resolve (realpath:
 * symlinks, junctions, `..`, case on Windows, `\\?\` prefixes, UNC) inside their allowed roots.
 */
import { realpath as fsRealpath } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { fail, pass, type Check } from './check.js';

type PathImpl = typeof path.posix | typeof path.win32;

export const MAX_CONTEXT_FILES = 20;

/** Normalises a Windows path for comparison: no `\\?\` prefix, no trailing dots/spaces per segment, lower case. */
export function normalizeWindowsPath(p: string): string {
  let s = p.replace(/\//g, '\\');
  if (/^\\\\\?\\UNC\\/i.test(s)) s = `\\\\${s.slice(8)}`;
  else if (/^\\\\[?.]\\/.test(s)) s = s.slice(4);
  s = path.win32.normalize(s);
  const root = path.win32.parse(s).root;
  const rest = s
    .slice(root.length)
    .split('\\')
    .map((seg) => seg.replace(/[. ]+$/, ''))
    .filter((seg) => seg.length > 0);
  return (root + rest.join('\\')).toLowerCase();
}

/** True when `child` is `parent` or lies below it (no sibling-prefix confusion like /base-evil). */
export function isInsideDirectory(parent: string, child: string, pathImpl: PathImpl = path): boolean {
  const win = pathImpl === path.win32;
  const p = win ? normalizeWindowsPath(parent) : pathImpl.resolve(parent);
  const c = win ? normalizeWindowsPath(child) : pathImpl.resolve(child);
  if (win && path.win32.parse(p).root !== path.win32.parse(c).root) return false;
  const rel = pathImpl.relative(p, c);
  return rel === '' || (rel.split(pathImpl.sep)[0] !== '..' && !pathImpl.isAbsolute(rel));
}

function hasBadCharacters(p: string): boolean {
  return p.includes('\0') || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(p);
}

const realpathNative = promisify(fsRealpath.native);

/** realpath; on Windows the native one, which resolves junctions, case and 8.3 names. */
async function canonical(p: string): Promise<string> {
  return process.platform === 'win32' ? realpathNative(p) : realpath(p);
}

/** Resolves the requested working directory (default: the base) to a canonical directory inside the base. */
export async function resolveWorkingDirectory(baseDirectory: string, requested: string | null | undefined): Promise<Check<string>> {
  let base: string;
  try {
    base = await canonical(baseDirectory);
    if (!(await stat(base)).isDirectory()) throw new Error('not a directory');
  } catch {
    return fail(`The AI-task base directory ${baseDirectory} does not exist or is not a directory. Ask the admin to fix claude.baseDirectory.`);
  }
  const wanted = requested?.trim() ? requested.trim() : '.';
  if (hasBadCharacters(wanted)) return fail('The working directory contains invalid characters.');
  const candidate = path.resolve(base, wanted);
  let real: string;
  try {
    real = await canonical(candidate);
  } catch {
    if (!isInsideDirectory(base, candidate)) return outside(wanted, base);
    return fail(`The working directory "${wanted}" does not exist under ${base}.`);
  }
  if (!isInsideDirectory(base, real)) return outside(wanted, base);
  try {
    if (!(await stat(real)).isDirectory()) return fail(`The working directory "${wanted}" is not a directory.`);
  } catch {
    return fail(`The working directory "${wanted}" cannot be read.`);
  }
  return pass(real);
}

function outside(wanted: string, base: string): { ok: false; reason: string } {
  return fail(`The working directory "${wanted}" is outside the allowed base directory ${base}.`);
}

/** Resolves context files, each a regular file inside the working directory; returns them relative to it. */
export async function resolveContextFiles(workDir: string, files: readonly string[]): Promise<Check<string[]>> {
  if (files.length > MAX_CONTEXT_FILES) {
    return fail(`Too many context files: ${files.length} given, at most ${MAX_CONTEXT_FILES} are allowed.`);
  }
  const out: string[] = [];
  for (const file of files) {
    if (typeof file !== 'string' || !file.trim()) return fail('A context file name is empty.');
    if (hasBadCharacters(file)) return fail(`The context file name "${file.replace(/\0/g, '\\0')}" contains invalid characters.`);
    if (path.isAbsolute(file) || path.win32.isAbsolute(file)) {
      return fail(`The context file "${file}" must be relative to the working directory.`);
    }
    const candidate = path.resolve(workDir, file);
    if (!isInsideDirectory(workDir, candidate)) return fail(`The context file "${file}" is outside the working directory.`);
    let real: string;
    try {
      real = await canonical(candidate);
    } catch {
      return fail(`The context file "${file}" does not exist in the working directory.`);
    }
    if (!isInsideDirectory(workDir, real)) return fail(`The context file "${file}" is outside the working directory.`);
    try {
      if (!(await stat(real)).isFile()) return fail(`The context file "${file}" is not a regular file.`);
    } catch {
      return fail(`The context file "${file}" cannot be read.`);
    }
    out.push(path.relative(workDir, real).split(path.sep).join('/'));
  }
  return pass(out);
}
