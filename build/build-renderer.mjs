#!/usr/bin/env node
/**
 * Bundles the window (renderer/) with esbuild into dist/renderer: one script, one stylesheet, one page.
 * No Node, no Electron in the bundle: it talks only to `window.agent`.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'renderer');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(root, 'renderer', 'main.ts')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const f of ['index.html', 'styles.css']) copyFileSync(path.join(root, 'renderer', f), path.join(out, f));
