#!/usr/bin/env node
/**
 * Runs a built entry point (`dist/...`), compiling TypeScript first only when a source file is newer
 * than the last build, so `npm run agent` starts in well under a second after the first time.
 * Usage: node build/run-built.mjs dist/src/headless/main.js [args...]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-stamp');
const SOURCES = ['src', 'electron', 'renderer', 'test/support', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newestMtime(p) {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
if (SOURCES.some((s) => newestMtime(path.join(root, s)) > built)) {
  const started = Date.now();
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  for (const script of ['build-renderer.mjs', 'build-preload.mjs']) {
    const step = spawnSync(process.execPath, [path.join(root, 'build', script)], { stdio: 'inherit' });
    if (step.status !== 0) process.exit(step.status ?? 1);
  }
  writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
}
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: node build/run-built.mjs ENTRY [args...]\n');
  process.exit(2);
}
// The agent handles SIGTERM / SIGINT itself (it stops its tasks and reports them): pass them on.
const child = spawn(process.execPath, [path.join(root, entry), ...args], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
