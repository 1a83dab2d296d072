/**
 * What an agent is built from, loaded from its data dir and probed from the machine once at start-up:
 * the persisted state, the command log, the local decisions, elevation, the CLI, and what confines work.
 */
import path from 'node:path';
import { removeStaleTaskConfigDirs } from '../claude/claude-env.js';
import { resolveClaudeExecutable } from '../claude/claude-executor.js';
import { probeConfinement, type Confinement } from '../confine/cli-sandbox.js';
import { describeContainment } from '../confine/containment.js';
import type { AgentConfig } from '../contracts/config.js';
import { ensurePrivateDir } from '../store/atomic-file.js';
import { CommandStore } from '../store/command-store.js';
import { logConfinement } from './ai-task-view.js';
import { systemClock, type Clock } from './clock.js';
import { isElevated } from './elevation.js';
import { LocalEventLog } from './local-event-log.js';
import type { Logger } from './logger.js';
import { loadPersistentState, type PersistentState } from './persistent-state.js';

export interface AgentParts {
  state: PersistentState;
  store: CommandStore;
  events: LocalEventLog;
  elevated: boolean;
  claudeExe: { path: string } | { error: string };
  confinement: Confinement;
}

export async function loadAgentParts(opts: { config: AgentConfig; dataDir: string; logger: Logger; clock?: Clock }): Promise<AgentParts> {
  const { dataDir, logger, config } = opts;
  ensurePrivateDir(dataDir);
  const state = await loadPersistentState(dataDir, logger, { aiTasksPerHour: config.claude.maxTasksPerHour, ...(opts.clock ? { clock: opts.clock } : {}) });
  const store = new CommandStore(dataDir, opts.clock ?? systemClock, logger);
  store.load();
  await store.migrate();
  removeStaleTaskConfigDirs(dataDir);
  const events = new LocalEventLog(path.join(dataDir, 'local-events.jsonl'), logger);
  events.load();
  const [elevated, claudeExe, confinement] = await Promise.all([isElevated(), resolveClaudeExecutable(config.claude.executable), probeConfinement()]);
  if ('error' in claudeExe) logger.warn('AI tasks unavailable', { problem: claudeExe.error });
  logConfinement(logger, config.claude.sandbox, confinement);
  const containment = describeContainment();
  logger.info(`shell commands are kept together by: ${containment.mechanism}`, { detail: containment.detail });
  return { state, store, events, elevated, claudeExe, confinement };
}
