/**
 * Running one AI task through SPEC §4.2: the checks (none uses a rate-limit slot), the local user's
 * approval, the checks that must be made again after it, and the CLI itself with its slot taken at the
 * moment it starts (and given back if it never did).
 */
import { runClaudeTask } from '../claude/claude-executor.js';
import type { Confinement } from '../confine/cli-sandbox.js';
import type { ClaudeTaskSpec, CommandPayload } from '../contracts/wire.js';
import { stoppedBeforeStart, type ExecutionOutcome, type ProgressSink } from '../exec/types.js';
import type { AgentContext } from './agent-context.js';
import { decideAction } from './action-asks.js';
import { checkClaudeTask, recheckAfterApproval, type ClaudeGateDeps } from './claude-gate.js';
import { claudeRunningCount, type InFlight } from './in-flight.js';
import type { LocalControl } from './local-control.js';
import type { RateBudget } from './rate-budget.js';
import { refusal } from './task-record.js';

export interface AiTaskDeps {
  ctx: AgentContext;
  control: LocalControl;
  budget: RateBudget;
  claudeExe: { path: string } | { error: string };
  confinement: Confinement;
  treeMarker(commandId: string): string;
  withProgress(flight: InFlight, fn: (onProgress: ProgressSink) => Promise<ExecutionOutcome>): Promise<ExecutionOutcome>;
}

export async function runAiTask(deps: AiTaskDeps, cmd: CommandPayload, spec: ClaudeTaskSpec, flight: InFlight): Promise<ExecutionOutcome> {
  const { ctx, budget } = deps;
  const requester = cmd.requested_by ?? null;
  const gateDeps: ClaudeGateDeps = {
    config: ctx.config,
    pausedReason: () => deps.control.pausedReason(),
    executable: () => deps.claudeExe,
    runningClaudeTasks: () => claudeRunningCount(ctx.inFlight),
    get rateLimiter() {
      return budget.limiter;
    },
  };
  const gate = await checkClaudeTask(spec, requester, gateDeps);
  if (!gate.ok) return refusal(gate.reason);
  const prepared = gate.value;
  flight.record = { ...flight.record, working_directory: prepared.workingDirectory };

  if (ctx.config.approvalRequired) {
    if (deps.control.consent.hasGrant(requester)) {
      // The local user allowed this technician's AI tasks for a while: recorded, not asked.
      flight.record = { ...flight.record, decisions: [...flight.record.decisions, { at: new Date(ctx.clock.now()).toISOString(), decision: 'allow', by: 'grant' }] };
    } else {
      const decision = await awaitApproval(deps, flight, { kind: 'ai', task: prepared.task, requester, workingDirectory: prepared.workingDirectory });
      if (decision) return decision;
    }
  }
  const signal = flight.controller.signal;
  if (signal.aborted) return stoppedBeforeStart(signal);
  // Checked again synchronously right before starting, so concurrent arrivals cannot overshoot the limits.
  const again = recheckAfterApproval(requester, gateDeps);
  if (!again.ok) return refusal(again.reason);

  const claude = ctx.config.claude;
  const timeoutSeconds = Math.min(cmd.timeout_seconds ?? claude.defaultTimeoutSeconds, claude.maxTimeoutSeconds, ctx.config.maxTimeoutSeconds);
  flight.record = { ...flight.record, status: 'running', started_at: new Date(ctx.clock.now()).toISOString() };
  const slot = budget.take(requester);
  let spawned = false;
  ctx.changed();
  const outcome = await deps.withProgress(flight, (onProgress) => {
    const actions = { ctx, control: deps.control, flight, task: prepared.task, requester, workingDirectory: prepared.workingDirectory, progress: (t: string) => onProgress('text', t) };
    return runClaudeTask({
      commandId: cmd.id,
      task: prepared.task,
      workingDirectory: prepared.workingDirectory,
      workingDirectoryId: prepared.workingDirectoryId,
      confinement: deps.confinement,
      contextFiles: prepared.contextFiles,
      timeoutMs: Math.round(timeoutSeconds * 1000),
      outputLimitBytes: ctx.config.outputLimitBytes,
      executable: prepared.executable,
      config: claude,
      dataDir: ctx.dataDir,
      signal,
      onProgress,
      onPermission: (req) => decideAction(actions, req),
      treeMarker: deps.treeMarker(cmd.id),
      onSpawn: () => {
        spawned = true;
        ctx.track(budget.persist());
        ctx.emit('notify', { title: 'AI task started', body: `${requester ? `${requester}: ` : ''}${prepared.task.slice(0, 120)}` });
      },
    });
  });
  if (!spawned) {
    // The CLI never got the task: the slot taken just before starting it is given back.
    budget.giveBack(slot);
    ctx.changed();
  }
  return outcome;
}

/**
 * Waits for the local user's Allow or Deny of an AI task or (shellApproval: consent) a shell command;
 * returns an outcome if it must not run, else null.
 */
export async function awaitApproval(
  deps: Pick<AiTaskDeps, 'ctx' | 'control'>,
  flight: InFlight,
  what: { kind: 'ai' | 'shell'; task: string; requester: string | null; workingDirectory: string },
): Promise<ExecutionOutcome | null> {
  const { ctx, control } = deps;
  const { task, requester } = what;
  const id = flight.record.id;
  flight.record = { ...flight.record, status: 'awaiting_approval' };
  const timeoutSeconds = ctx.config.approvalTimeoutSeconds;
  const grantMinutes = what.kind === 'ai' && requester?.trim() ? (ctx.config.approvalGrantMinutes ?? null) : null;
  flight.approval = {
    commandId: id, kind: what.kind, grantMinutes, task, requestedBy: requester, workingDirectory: what.workingDirectory,
    expiresAt: new Date(ctx.clock.now() + timeoutSeconds * 1000).toISOString(),
  };
  await ctx.store.update(flight.record);
  const title = what.kind === 'ai' ? 'AI task needs your approval' : 'A command needs your consent';
  ctx.emit('notify', { title, body: `${requester ? `${requester}: ` : ''}${task.slice(0, 120)}` });
  ctx.changed();
  const decision = await control.requestApproval({ commandId: id, task, requestedBy: requester, workingDirectory: what.workingDirectory }, flight.controller.signal);
  flight.approval = null;
  if (decision.by === 'cancel') {
    ctx.changed();
    return stoppedBeforeStart(flight.controller.signal);
  }
  const action = decision.decision === 'allow' ? 'allow' : 'deny';
  const at = new Date(decision.at).toISOString();
  flight.record = {
    ...flight.record,
    status: 'running',
    decisions: [...flight.record.decisions, { at, decision: decision.by === 'timeout' ? 'deny (no answer)' : action, by: decision.by }],
  };
  await control.record(action, `${id}: ${task.slice(0, 80)}${decision.by === 'timeout' ? ' (no answer in time)' : ''}`);
  ctx.changed();
  if (decision.decision === 'allow') return null;
  return refusal(decision.by === 'timeout' ? `denied by the local user: no answer within ${timeoutSeconds} s.` : 'denied by the local user.');
}
