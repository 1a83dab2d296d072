/** `npm run dev-server`: the development RMM server on 127.0.0.1. */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Logger } from '../core/logger.js';
import { defaultDevStatePath, writeDevState } from './dev-state.js';
import { startDevServer } from './dev-server.js';

const USAGE = `Usage: npm run dev-server -- [--port N] [--api-key KEY] [--state FILE]

A development RMM server on 127.0.0.1: agents connect to ws://127.0.0.1:PORT/agent with the API key;
"npm run dispatch" talks to its HTTP API with the admin token written to the state file
(default .demo/dev-server.json).
`;

const consoleLogger: Logger = {
  debug: () => undefined,
  info: (m, meta) => console.log(`[dev-server] ${m}${meta ? ` ${JSON.stringify(meta)}` : ''}`),
  warn: (m, meta) => console.warn(`[dev-server] ${m}${meta ? ` ${JSON.stringify(meta)}` : ''}`),
  error: (m, meta) => console.error(`[dev-server] ${m}${meta ? ` ${JSON.stringify(meta)}` : ''}`),
};

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { port: { type: 'string' }, 'api-key': { type: 'string' }, state: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = values.port === undefined ? 8710 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number, not "${values.port}".`);
    return 2;
  }
  const apiKey = values['api-key'] ?? process.env.GURURMM_DEV_API_KEY ?? randomBytes(18).toString('base64url');
  const server = await startDevServer({ port, apiKeys: [apiKey], logger: consoleLogger });
  const stateFile = values.state ?? defaultDevStatePath();
  await writeDevState(stateFile, { httpUrl: server.httpUrl, token: server.adminToken, agentUrl: server.agentUrl, apiKey });
  console.log(`dev server listening
  agents connect to: ${server.agentUrl}
  agent API key:     ${apiKey}
  HTTP API:          ${server.httpUrl} (admin token in ${stateFile})
Dispatch with: npm run dispatch -- shell "echo hi"`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`The dev server could not start: ${(err as Error).message}`);
    process.exit(1);
  },
);
