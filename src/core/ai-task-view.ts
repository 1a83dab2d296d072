/** Whether AI tasks can run here and how they are confined: for the window, the tray and the log. */
import { chooseConfinement } from '../claude/claude-launch.js';
import type { Confinement } from '../confine/cli-sandbox.js';
import type { AgentConfig } from '../contracts/config.js';
import { claudeRunningCount, type InFlight } from './in-flight.js';
import type { Logger } from './logger.js';
import type { RateBudget } from './rate-budget.js';
import type { AgentSnapshot } from './snapshot.js';

export function aiTaskView(opts: {
  config: AgentConfig;
  claudeExe: { path: string } | { error: string };
  confinement: Confinement;
  budget: RateBudget;
  inFlight: Map<string, InFlight>;
}): AgentSnapshot['claude'] {
  const { config, claudeExe } = opts;
  const choice = chooseConfinement(config.claude.sandbox, opts.confinement);
  const problem = 'error' in claudeExe
    ? claudeExe.error
    : !config.claude.baseDirectory
      ? 'AI tasks are not enabled: claude.baseDirectory is not configured.'
      : choice.kind === 'refuse' ? choice.reason : null;
  return {
    available: problem === null,
    problem,
    confinement: {
      confined: choice.kind === 'bubblewrap',
      detail: choice.kind === 'refuse' ? choice.reason : choice.note,
      warning: choice.kind === 'none' ? choice.warning : null,
    },
    budget: opts.budget.status(),
    nextSlotFreesAt: opts.budget.nextSlotFreesAt(),
    concurrency: { limit: config.claude.maxConcurrent, running: claudeRunningCount(opts.inFlight) },
  };
}

/** Says once, at start-up, how AI tasks will be confined (or why they will not be, or will be refused). */
export function logConfinement(logger: Logger, mode: AgentConfig['claude']['sandbox'], available: Confinement): void {
  const choice = chooseConfinement(mode, available);
  if (choice.kind === 'refuse') logger.warn('AI tasks will be refused', { reason: choice.reason });
  else if (choice.kind === 'none' && choice.warning) logger.warn(choice.warning, { sandbox: mode });
  else logger.info(`AI tasks: ${choice.note}`, { sandbox: mode });
}
