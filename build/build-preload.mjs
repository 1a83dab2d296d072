#!/usr/bin/env node
/**
 * Bundles electron/preload.ts into dist/electron/preload.cjs: a sandboxed preload may require only
 * `electron` (and a few Node built-ins), not local modules. `.cjs` because `tsc` also emits
 * dist/electron/preload.js (an ES module a sandboxed preload cannot run) from the same source.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [path.join(root, 'electron', 'preload.ts')],
  outfile: path.join(root, 'dist', 'electron', 'preload.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'es2022',
  external: ['electron'],
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
