import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Settings } from 'electron';
import { MemoryLogger } from '../../src/core/logger.js';
import {
  AUTOSTART_FILE,
  applyStartAtLogin,
  autostartDesktopEntry,
  autostartDir,
  launchCommand,
  quoteExecArg,
  startAtLoginWanted,
} from '../../electron/autostart.js';

describe('XDG autostart entry', () => {
  test('a plain command is written as is', () => {
    assert.equal(
      autostartDesktopEntry({ exec: '/opt/GuruRMM/gururmm-agent', args: [] }),
      [
        '[Desktop Entry]',
        'Type=Application',
        'Version=1.0',
        'Name=GuruRMM Agent',
        'Comment=Shows and controls what your IT provider runs on this computer',
        'Exec=/opt/GuruRMM/gururmm-agent',
        'Terminal=false',
        'NoDisplay=true',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    );
  });

  test('arguments with spaces, quotes, $, backquotes, backslashes and % are quoted and escaped per the spec', () => {
    assert.equal(quoteExecArg('/opt/GuruRMM Agent/gururmm-agent'), '"/opt/GuruRMM Agent/gururmm-agent"');
    assert.equal(quoteExecArg('a"b'), '"a\\\\"b"');
    assert.equal(quoteExecArg('$HOME'), '"\\\\$HOME"');
    assert.equal(quoteExecArg('`id`'), '"\\\\`id\\\\`"');
    assert.equal(quoteExecArg('C:\\x'), '"C:\\\\\\\\x"');
    assert.equal(quoteExecArg('100%'), '100%%');
    assert.equal(quoteExecArg("it's; rm -rf ~"), '"it\'s; rm -rf ~"');
    const entry = autostartDesktopEntry({ exec: '/home/u/Apps/GuruRMM Agent.AppImage', args: ['--config', '/etc/gururmm/agent.json'] });
    assert.match(entry, /^Exec="\/home\/u\/Apps\/GuruRMM Agent\.AppImage" --config \/etc\/gururmm\/agent\.json$/m);
  });

  test('a line break in the command is refused (it would add keys to the entry)', () => {
    assert.throws(() => autostartDesktopEntry({ exec: '/opt/x', args: ['a\nHidden=true'] }), /line break/);
  });

  test('an AppImage starts by its own path, not the mount it runs from; --config is kept', () => {
    assert.deepEqual(launchCommand({ execPath: '/tmp/.mount_Guru1/gururmm-agent', env: { APPIMAGE: '/home/u/GuruRMM.AppImage' }, configPath: null }), { exec: '/home/u/GuruRMM.AppImage', args: [] });
    assert.deepEqual(launchCommand({ execPath: '/opt/GuruRMM/gururmm-agent', env: {}, configPath: '/srv/agent.json' }), { exec: '/opt/GuruRMM/gururmm-agent', args: ['--config', '/srv/agent.json'] });
  });

  test('the folder is $XDG_CONFIG_HOME/autostart when that is absolute, else ~/.config/autostart', () => {
    assert.equal(autostartDir({ XDG_CONFIG_HOME: '/cfg' }, '/home/u'), path.join('/cfg', 'autostart'));
    assert.equal(autostartDir({ XDG_CONFIG_HOME: 'relative' }, '/home/u'), path.join('/home/u', '.config', 'autostart'));
    assert.equal(autostartDir({}, '/home/u'), path.join('/home/u', '.config', 'autostart'));
  });
});

describe('start at login decision', () => {
  test('the policy wins at every start; otherwise a packaged app turns it on once, and a dev run never', () => {
    assert.equal(startAtLoginWanted({ policy: true, packaged: false, defaultApplied: true }), true);
    assert.equal(startAtLoginWanted({ policy: false, packaged: true, defaultApplied: false }), false);
    assert.equal(startAtLoginWanted({ policy: undefined, packaged: true, defaultApplied: false }), true);
    assert.equal(startAtLoginWanted({ policy: undefined, packaged: true, defaultApplied: true }), null);
    assert.equal(startAtLoginWanted({ policy: undefined, packaged: false, defaultApplied: false }), null);
  });
});

describe('applying start at login', () => {
  let base: string;
  let dataDir: string;
  let dir: string;
  let settings: Settings[];
  beforeEach(() => {
    base = mkdtempSync(path.join(tmpdir(), 'gururmm-autostart-'));
    dataDir = path.join(base, 'data');
    dir = path.join(base, 'config', 'autostart');
    settings = [];
    mkdirSync(dataDir);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const apply = (platform: NodeJS.Platform, policy: boolean | undefined, packaged = true) =>
    applyStartAtLogin({
      policy,
      packaged,
      platform,
      dataDir,
      loginItems: { setLoginItemSettings: (s: Settings) => void settings.push(s) },
      launch: { exec: '/opt/GuruRMM Agent/gururmm-agent', args: [] },
      autostartDir: dir,
      logger: new MemoryLogger(),
    });
  const file = () => path.join(dir, AUTOSTART_FILE);

  test('Linux: the entry is written only when enabled, and removed when the policy turns it off', async () => {
    await apply('linux', undefined, false);
    assert.equal(existsSync(file()), false, 'a dev run writes nothing');
    await apply('linux', true);
    assert.match(readFileSync(file(), 'utf8'), /^Exec="\/opt\/GuruRMM Agent\/gururmm-agent"$/m);
    assert.equal(statSync(file()).mode & 0o022, 0, 'no one else may change what starts at login');
    await apply('linux', false);
    assert.equal(existsSync(file()), false);
  });

  test('Linux: the default is applied once; a user who then removes the entry is not overruled', async () => {
    await apply('linux', undefined);
    assert.ok(existsSync(file()));
    rmSync(file());
    await apply('linux', undefined);
    assert.equal(existsSync(file()), false);
    await apply('linux', true);
    assert.ok(existsSync(file()), 'a policy is applied at every start');
  });

  test('Windows sets the login item with the path and arguments; macOS sets open at login', async () => {
    await apply('win32', true);
    await apply('darwin', false);
    assert.deepEqual(settings, [{ openAtLogin: true, path: '/opt/GuruRMM Agent/gururmm-agent', args: [] }, { openAtLogin: false }]);
    assert.equal(existsSync(dir), false);
  });
});
