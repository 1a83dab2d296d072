/** Where the policy file and the per-user data live on each platform (SPEC §7). */
import os from 'node:os';
import path from 'node:path';

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
