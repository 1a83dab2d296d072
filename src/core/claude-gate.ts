/** The AI-task checks of SPEC §4.2, in the SPEC's order; none of them consumes a rate-limit slot. */
import { identityOf, type DirectoryIdentity } from '../confine/directory-pin.js';
import type { AgentConfig } from '../contracts/config.js';
import type { ClaudeTaskSpec } from '../contracts/wire.js';
import { resolveContextFiles, resolveWorkingDirectory } from '../policy/path-guard.js';
import type { RateLimiter } from '../policy/rate-limiter.js';
import { validateContextFileName, validateTaskText } from '../policy/task-validation.js';

export type GateResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A task that passed checks 1-6: canonical working directory, context files relative to it. */
export interface PreparedClaudeTask {
  task: string;
  workingDirectory: string;
  /** The checked directory's device + inode: the CLI starts in this directory or not at all. */
  workingDirectoryId: DirectoryIdentity;
  contextFiles: string[];
  executable: string;
}

export interface ClaudeGateDeps {
  config: AgentConfig;
  pausedReason: () => string | null;
  executable: () => { path: string } | { error: string };
  runningClaudeTasks: () => number;
  rateLimiter: RateLimiter;
}

/** Runs checks 1-6 on an incoming AI task. */
export async function checkClaudeTask(
  spec: ClaudeTaskSpec,
  requester: string | null,
  deps: ClaudeGateDeps,
): Promise<GateResult<PreparedClaudeTask>> {
  const claude = deps.config.claude;
  const paused = deps.pausedReason();
  if (paused) return { ok: false, reason: paused };

  const text = validateTaskText(spec.task, {
    maxLength: claude.maxTaskLength,
    allowShellMetacharacters: claude.allowShellMetacharacters,
  });
  if (!text.ok) return text;

  if (!claude.baseDirectory) {
    return {
      ok: false,
      reason: 'AI tasks are not enabled on this agent: the admin has not configured claude.baseDirectory.',
    };
  }
  const workDir = await resolveWorkingDirectory(claude.baseDirectory, spec.working_directory);
  if (!workDir.ok) return workDir;
  let workingDirectoryId: DirectoryIdentity;
  try {
    workingDirectoryId = identityOf(workDir.value);
  } catch {
    return { ok: false, reason: `The working directory "${workDir.value}" cannot be read.` };
  }

  for (const name of spec.context_files ?? []) {
    const named = validateContextFileName(name, { allowShellMetacharacters: claude.allowShellMetacharacters });
    if (!named.ok) return named;
  }
  const files = await resolveContextFiles(workDir.value, spec.context_files ?? []);
  if (!files.ok) return files;

  const exe = deps.executable();
  if ('error' in exe) return { ok: false, reason: exe.error };

  const limits = checkRunLimits(requester, deps);
  if (!limits.ok) return limits;

  return {
    ok: true,
    value: { task: text.value, workingDirectory: workDir.value, workingDirectoryId, contextFiles: files.value, executable: exe.path },
  };
}

/** Checks 1, 5 and 6 again, for a task the local user has just allowed (time has passed). */
export function recheckAfterApproval(requester: string | null, deps: ClaudeGateDeps): GateResult<void> {
  const paused = deps.pausedReason();
  if (paused) return { ok: false, reason: paused };
  return checkRunLimits(requester, deps);
}

function checkRunLimits(requester: string | null, deps: ClaudeGateDeps): GateResult<void> {
  const limit = deps.config.claude.maxConcurrent;
  if (deps.runningClaudeTasks() >= limit) {
    return {
      ok: false,
      reason: `Concurrency limit reached: ${limit} AI tasks are already running on this machine. Try again when one has finished.`,
    };
  }
  const rate = deps.rateLimiter.check(requester);
  return rate.ok ? { ok: true, value: undefined } : rate;
}
