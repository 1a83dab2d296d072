/**
 * The console for the headless host (SPEC §8): started on 127.0.0.1 with a fresh token, its URL printed
 * as one line and written owner-only to `<dataDir>/console.url` (removed again when the agent stops).
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Agent } from '../core/agent.js';
import type { Logger } from '../core/logger.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { startConsoleServer, type ConsoleServer } from './console-server.js';

export const CONSOLE_URL_FILE = 'console.url';

/** Where the bundled window lives: `dist/renderer` next to the built code, or built from a source checkout. */
export function findRendererDir(here = path.dirname(fileURLToPath(import.meta.url))): string | null {
  const candidates = [path.resolve(here, '../../renderer'), path.resolve(here, '../../dist/renderer')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html')) && existsSync(path.join(dir, 'app.js'))) ?? null;
}

export async function startHeadlessConsole(opts: { agent: Agent; port: number; dataDir: string; logger: Logger }): Promise<ConsoleServer> {
  const rendererDir = findRendererDir();
  if (!rendererDir) throw new Error('the console page is not built (run `npm run build`)');
  const server = await startConsoleServer({ agent: opts.agent, port: opts.port, rendererDir, logger: opts.logger });
  const file = path.join(opts.dataDir, CONSOLE_URL_FILE);
  await writeFileAtomic(file, `${server.url}\n`, 0o600);
  process.stdout.write(`console: ${server.url}\n`);
  opts.logger.info('console listening on 127.0.0.1', { port: server.port });
  return {
    ...server,
    close: async () => {
      rmSync(file, { force: true });
      await server.close();
    },
  };
}
