/**
 * The headless host: runs the agent core in a plain Node process (no Electron), for machines without
 * a desktop, for tests and for benchmarks. Exit codes: 0 clean stop, 1 start-up failure, 2 usage/config error.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import log from 'electron-log/node.js';
import { ConfigError, loadConfigFile } from '../contracts/config.js';
import { Agent } from '../core/agent.js';
import { adaptElectronLog, pinLogFile } from '../core/electron-log-adapter.js';
import { AGENT_VERSION } from '../core/host-info.js';
import { dataPlacementProblem, defaultConfigPath, defaultDataDir } from '../core/paths.js';
import { IdentityLostError } from '../core/persistent-state.js';
import { startHeadlessConsole } from '../console/headless-console.js';
import type { ConsoleServer } from '../console/console-server.js';
import { ensurePrivateDir } from '../store/atomic-file.js';
import { HEADLESS_USAGE, parseHeadlessArgs, UsageError } from './cli-args.js';

const LOG_MAX_BYTES = 5 * 1024 * 1024;
const NOT_STARTED = 'The agent did not start.';

/** Errors that mean the data directory (or a file in it) cannot be used as it is, not that the agent is broken. */
const FILE_ACCESS_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EIO', 'ENOTDIR', 'EISDIR', 'ENOENT', 'ELOOP']);

/** The sentence for a file-system error on the data directory, or null when `err` is something else. */
function dataDirProblem(err: unknown, dataDir: string): string | null {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== 'string' || !FILE_ACCESS_CODES.has(e.code)) return null;
  if (e.path !== undefined && path.relative(dataDir, e.path).startsWith('..')) return null;
  return (
    `The data directory ${dataDir} cannot be used (${e.message}). Give the account the agent runs as ` +
    `permission to read and write it, free some space if the disk is full, or choose another with --data-dir.`
  );
}

/** Creates the data and log directories and checks that they can be read and written, before anything is logged. */
function prepareDataDir(dataDir: string): string | null {
  const logs = path.join(dataDir, 'logs');
  try {
    ensurePrivateDir(dataDir);
    ensurePrivateDir(logs);
    for (const dir of [dataDir, logs]) accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    const logFile = path.join(logs, 'agent.log');
    if (existsSync(logFile)) accessSync(logFile, constants.W_OK);
  } catch (err) {
    const problem = dataDirProblem(err, dataDir);
    if (problem === null) throw err;
    return problem;
  }
  return null;
}

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
  const unusable = prepareDataDir(dataDir);
  if (unusable) {
    process.stderr.write(`${unusable} ${NOT_STARTED}\n`);
    return 1;
  }

  pinLogFile(log, path.join(dataDir, 'logs', 'agent.log'), LOG_MAX_BYTES, { name: 'gururmm-agent', version: AGENT_VERSION });
  log.transports.console.level = process.env.GURURMM_LOG_LEVEL === 'debug' ? 'debug' : 'info';
  // When the service manager's end of stdout/stderr goes away, each console line would raise an EPIPE
  // that is itself logged to the console: stop writing there and keep the file log.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {
      log.transports.console.level = false;
    });
  }
  const logger = adaptElectronLog(log);
  for (const w of warnings) logger.warn(w);

  let agent: Agent;
  try {
    agent = await Agent.create({ config, dataDir, logger });
  } catch (err) {
    const problem = err instanceof IdentityLostError ? err.message : dataDirProblem(err, dataDir);
    if (problem === null) throw err;
    logger.error(`${problem} ${NOT_STARTED}`);
    return 1;
  }
  let consoleServer: ConsoleServer | null = null;
  if (args.consolePort !== null) {
    try {
      consoleServer = await startHeadlessConsole({ agent, port: args.consolePort, dataDir, logger });
    } catch (err) {
      logger.error(`The console could not start on 127.0.0.1:${args.consolePort}: ${(err as Error).message}. ${NOT_STARTED}`);
      return 1;
    }
  }

  let stopping: Promise<void> | null = null;
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn(`second ${signal}: exiting without waiting`);
      process.exit(1);
    }
    logger.info(`${signal} received: stopping running commands and reporting them`);
    stopping = Promise.all([agent.stop(), consoleServer?.close()]).then(
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
