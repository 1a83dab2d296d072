/**
 * The headless host: runs the agent core in a plain Node process (no Electron), for machines without
 * a desktop, for tests and for benchmarks. Exit codes: 0 clean stop, 1 start-up failure, 2 usage/config error.
 */
import path from 'node:path';
import log from 'electron-log/node.js';
import { ConfigError, loadConfigFile } from '../contracts/config.js';
import { Agent } from '../core/agent.js';
import { adaptElectronLog } from '../core/electron-log-adapter.js';
import { AGENT_VERSION } from '../core/host-info.js';
import { dataPlacementProblem, defaultConfigPath, defaultDataDir } from '../core/paths.js';
import { ensurePrivateDir } from '../store/atomic-file.js';
import { HEADLESS_USAGE, parseHeadlessArgs, UsageError } from './cli-args.js';

const LOG_MAX_BYTES = 5 * 1024 * 1024;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseHeadlessArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${HEADLESS_USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HEADLESS_USAGE);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }

  const configPath = path.resolve(args.config ?? defaultConfigPath());
  let loaded;
  try {
    loaded = loadConfigFile(configPath);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\nThe agent did not start.\n`);
    return 2;
  }
  const { config, warnings } = loaded;
  const dataDir = path.resolve(args.dataDir ?? config.dataDir ?? defaultDataDir());
  const misplaced = dataPlacementProblem({ baseDirectory: config.claude.baseDirectory, dataDir, configPath });
  if (misplaced) {
    process.stderr.write(`${misplaced}\nThe agent did not start.\n`);
    return 2;
  }
  ensurePrivateDir(dataDir);
  ensurePrivateDir(path.join(dataDir, 'logs'));

  log.transports.file.resolvePathFn = () => path.join(dataDir, 'logs', 'agent.log');
  log.transports.file.maxSize = LOG_MAX_BYTES;
  log.transports.console.level = process.env.GURURMM_LOG_LEVEL === 'debug' ? 'debug' : 'info';
  const logger = adaptElectronLog(log);
  for (const w of warnings) logger.warn(w);

  const agent = await Agent.create({ config, dataDir, logger });
  if (args.consolePort !== null) {
    logger.warn('the local console is not included in this build; --console-port is accepted and ignored');
  }

  let stopping: Promise<void> | null = null;
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn(`second ${signal}: exiting without waiting`);
      process.exit(1);
    }
    logger.info(`${signal} received: stopping running commands and reporting them`);
    stopping = agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('error while stopping', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => logger.error('unhandled rejection (agent keeps running)', { error: String(err) }));
  process.on('uncaughtException', (err) => logger.error('uncaught exception (agent keeps running)', { error: err.stack ?? String(err) }));

  agent.start();
  process.stdout.write(`agent ${agent.agentId} running; data in ${dataDir}\n`);
  return new Promise<number>(() => undefined); // runs until a signal stops it
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`The agent could not start: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
