/**
 * The real agent core in its own process, reconnecting within a fraction of a second (the headless
 * host waits up to a minute), so tests can measure its memory and drop its connection many times.
 * Usage: node --import tsx fast-agent.ts <config.json> <dataDir>
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/contracts/config.js';
import { Agent } from '../../src/core/agent.js';
import type { Logger } from '../../src/core/logger.js';

const [configPath, dataDir] = process.argv.slice(2) as [string, string];
const line = (level: string) => (message: string, meta?: Record<string, unknown>): void => {
  process.stdout.write(`${level} ${message} ${meta ? JSON.stringify(meta) : ''}\n`);
};
const logger: Logger = { debug: () => undefined, info: line('info'), warn: line('warn'), error: line('error') };
const { config } = parseConfig(JSON.parse(readFileSync(configPath, 'utf8')), configPath);
const agent = await Agent.create({
  config,
  dataDir,
  logger,
  connectionTiming: { backoff: { initialMs: 20, maxMs: 200 }, heartbeatMs: 2000, pongTimeoutMs: 2000 },
});
agent.start();
process.on('SIGTERM', () => void agent.stop().then(() => process.exit(0), () => process.exit(1)));
