/**
 * Start at login: the login item on Windows and macOS, an XDG autostart entry on Linux. A policy value
 * (`startAtLogin`) is applied at every start; without one, a packaged app turns it on once and then
 * leaves it to the user's own settings. A development run (`electron .`) never registers itself.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { App } from 'electron';
import type { Logger } from '../src/core/logger.js';

export const AUTOSTART_FILE = 'gururmm-agent.desktop';
/** In the data dir: the default (on) was applied once; from then on the user's choice stands. */
const DEFAULT_APPLIED_MARK = 'start-at-login-default-applied';

/** What to do at this start: turn it on, off, or leave it as it is (null). */
export function startAtLoginWanted(o: { policy: boolean | undefined; packaged: boolean; defaultApplied: boolean }): boolean | null {
  if (o.policy !== undefined) return o.policy;
  if (!o.packaged || o.defaultApplied) return null;
  return true;
}

/** The command that starts this app again: an AppImage by its own path (not the mount it runs from). */
export function launchCommand(o: { execPath: string; env: NodeJS.ProcessEnv; configPath: string | null }): { exec: string; args: string[] } {
  return { exec: o.env.APPIMAGE || o.execPath, args: o.configPath ? ['--config', o.configPath] : [] };
}

/** One argument of a desktop entry's Exec key, quoted and escaped as the Desktop Entry spec requires. */
export function quoteExecArg(arg: string): string {
  if (/[\0\n\r]/.test(arg)) throw new Error(`An autostart command cannot contain a line break or NUL: ${JSON.stringify(arg)}.`);
  const quoted = /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
  // The string-value escape (backslash doubled) applies on top of the quoting; "%" starts a field code.
  return quoted.replaceAll('\\', '\\\\').replaceAll('%', '%%');
}

/** The XDG autostart entry that starts `exec args...` at login. */
export function autostartDesktopEntry(o: { exec: string; args: string[] }): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    'Name=GuruRMM Agent',
    'Comment=Shows and controls what your IT provider runs on this computer',
    `Exec=${[o.exec, ...o.args].map(quoteExecArg).join(' ')}`,
    'Terminal=false',
    'NoDisplay=true',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** `$XDG_CONFIG_HOME/autostart` (an absolute XDG_CONFIG_HOME only, as the spec says), else `~/.config/autostart`. */
export function autostartDir(env: NodeJS.ProcessEnv, home: string): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(base, 'autostart');
}

/** Writes the entry (only when it differs) or removes ours. */
export async function setLinuxAutostart(dir: string, entry: string | null): Promise<void> {
  const file = path.join(dir, AUTOSTART_FILE);
  if (entry === null) {
    await rm(file, { force: true });
    return;
  }
  const current = await readFile(file, 'utf8').catch(() => null);
  if (current === entry) return;
  await mkdir(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, entry, { mode: 0o644 });
  await rename(temp, file);
}

/** Applies the start-at-login decision for this platform; failures are logged, never fatal. */
export async function applyStartAtLogin(o: {
  policy: boolean | undefined;
  packaged: boolean;
  platform: NodeJS.Platform;
  dataDir: string;
  loginItems: Pick<App, 'setLoginItemSettings'>;
  launch: { exec: string; args: string[] };
  autostartDir: string;
  logger: Logger;
}): Promise<void> {
  const mark = path.join(o.dataDir, DEFAULT_APPLIED_MARK);
  const defaultApplied = await readFile(mark).then(() => true, () => false);
  const wanted = startAtLoginWanted({ policy: o.policy, packaged: o.packaged, defaultApplied });
  if (wanted === null) return;
  try {
    if (o.platform === 'linux') await setLinuxAutostart(o.autostartDir, wanted ? autostartDesktopEntry(o.launch) : null);
    else if (o.platform === 'win32') o.loginItems.setLoginItemSettings({ openAtLogin: wanted, path: o.launch.exec, args: o.launch.args });
    else o.loginItems.setLoginItemSettings({ openAtLogin: wanted });
    if (o.policy === undefined) await writeFile(mark, '');
    o.logger.info(`start at login ${wanted ? 'on' : 'off'}${o.policy === undefined ? ' (default)' : ' (policy)'}`);
  } catch (err) {
    o.logger.warn('could not set start at login', { error: String(err) });
  }
}
