/** Where the dev server leaves its URLs and admin token for the dispatch CLI (owner-only). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, writeFileAtomic } from '../store/atomic-file.js';

export const devStateSchema = z.object({ httpUrl: z.string(), token: z.string(), agentUrl: z.string(), apiKey: z.string() });
export type DevState = z.infer<typeof devStateSchema>;

/** Default location, relative to the project directory (where npm runs scripts). */
export function defaultDevStatePath(cwd = process.cwd()): string {
  return path.join(cwd, '.demo', 'dev-server.json');
}

export async function writeDevState(file: string, state: DevState): Promise<void> {
  ensurePrivateDir(path.dirname(file));
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
}

export function readDevState(file: string): DevState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`No dev server state at ${file}. Start one with "npm run dev-server" or "npm run demo", or pass --server URL --token T.`);
  }
  return devStateSchema.parse(JSON.parse(text));
}
