/** Where the policy file and the per-user data live on each platform (SPEC §7). */
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isInsideDirectory } from '../policy/path-guard.js';

/** The machine-wide policy file's default location. */
export function defaultConfigPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return path.win32.join(env.ProgramData ?? 'C:\\ProgramData', 'GuruRMM', 'agent.json');
  if (platform === 'darwin') return '/Library/Application Support/GuruRMM/agent.json';
  return '/etc/gururmm/agent.json';
}

/** The per-user state folder used by the headless host when neither --data-dir nor dataDir is given. */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (platform === 'win32') return path.win32.join(env.LOCALAPPDATA ?? path.win32.join(home, 'AppData', 'Local'), 'GuruRMM');
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'GuruRMM');
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.posix.join(home, '.local', 'state');
  return path.posix.join(state, 'gururmm');
}

/** realpath of `p`, or of its nearest existing ancestor with the rest appended (the data dir may not exist yet). */
function canonicalPath(p: string): string {
  const missing: string[] = [];
  let current = path.resolve(p);
  for (;;) {
    try {
      return path.join(realpathSync.native(current), ...missing.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return path.resolve(p);
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * SPEC §7: the data dir and the policy file must not lie inside `claude.baseDirectory`, or an AI task could read
 * other commands' history and, with edit rules, rewrite the pause and rate-limit state. Returns the problem, or null.
 */
export function dataPlacementProblem(opts: { baseDirectory: string | undefined; dataDir: string; configPath: string | null }): string | null {
  if (!opts.baseDirectory) return null;
  const base = canonicalPath(opts.baseDirectory);
  const places: [string, string | null][] = [['data directory', opts.dataDir], ['configuration file', opts.configPath]];
  for (const [what, place] of places) {
    if (place === null) continue;
    const real = canonicalPath(place);
    if (isInsideDirectory(base, real)) {
      return `The ${what} ${real} lies inside claude.baseDirectory ${base}, where AI tasks could read or change it. Move it outside the base directory.`;
    }
  }
  return null;
}
