#!/usr/bin/env node
/**
 * Makes sure Electron's binary is present before `npm start` / `npm run dist`. `npm install` does not
 * download it (electron's install script is not allowed to run), so `npm install` works on machines
 * that cannot reach Electron's download host; the binary is fetched here, the first time it is needed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const electronDir = path.dirname(require.resolve('electron/package.json'));

function installedBinary() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pathFile = path.join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

if (installedBinary()) process.exit(0);
const { version } = JSON.parse(readFileSync(path.join(electronDir, 'package.json'), 'utf8'));
console.log(`Downloading Electron ${version} (needed once for the tray app)...`);
const env = { ...process.env };
delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
const result = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], { cwd: electronDir, env, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
if (result.status === 0 && installedBinary()) process.exit(0);
const why = (result.stderr || result.error?.message || '').trim().split('\n').find((l) => /Error|ENOTFOUND|ECONN|status/i.test(l)) ?? 'unknown error';
process.stderr.write(
  `\nElectron's binary is not installed and could not be downloaded (${why.trim()}).\n` +
    'The tray app needs it. Everything else works without it: `npm run demo`, `npm run agent` (with the console in a browser), `npm test`.\n' +
    'To get it: allow access to Electron\'s download host, or set ELECTRON_MIRROR to a mirror you can reach\n' +
    '(or ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron), then run `npm start` again.\n',
);
process.exit(1);
