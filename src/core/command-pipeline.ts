/**
 * A command's way through the agent (SPEC §3.2-3.5): never run an id twice, record the start durably
 * before anything runs, run it (shell or AI task), record the end with its result durably, and only
 * then send that result. Once a result has been sent for an id, that id never gets another one.
 */
import { createHash } from 'node:crypto';
import type { Confinement } from '../confine/cli-sandbox.js';
import type { InvalidFrame } from '../connection/connection.js';
import type { CommandPayload, CommandResultPayload, ProgressKind, TaskRecord } from '../contracts/wire.js';
import { killProcessTree } from '../exec/process-tree.js';
import { ProgressCoalescer } from '../exec/progress-coalescer.js';
import { runShellCommand } from '../exec/shell-executor.js';
import { stoppedBeforeStart, type ExecutionOutcome, type ProgressSink } from '../exec/types.js';
import { verifyCommandSignature } from '../policy/command-signature.js';
import type { AgentContext } from './agent-context.js';
import { awaitApproval, runAiTask } from './ai-task-runner.js';
import type { InFlight } from './in-flight.js';
import type { LocalControl } from './local-control.js';
import type { RateBudget } from './rate-budget.js';
import { finishTaskRecord, invalidCommandRecord, newTaskRecord, refusal, toResultPayload } from './task-record.js';

const MAX_TAIL_CHARS = 300;
/** How often a result the disk refused is offered to the disk again. */
const HELD_RETRY_MS = 5_000;

export interface PipelineDeps {
  ctx: AgentContext;
  control: LocalControl;
  budget: RateBudget;
  elevated: boolean;
  claudeExe: { path: string } | { error: string };
  confinement: Confinement;
  markerSalt(): string;
}

export class CommandPipeline {
  readonly #deps: PipelineDeps;
  readonly #ctx: AgentContext;
  /** Results that ran to an end the disk would not store: sent once stored, never before. */
  readonly #held = new Map<string, { record: TaskRecord; result: CommandResultPayload }>();
  /** Refusals of commands that never ran because not even their start could be stored: kept in memory only. */
  readonly #unstored = new Map<string, CommandResultPayload>();
  /**
   * Ids of malformed commands whose refusal is being stored: a valid frame with the same id that arrives
   * meanwhile waits for it and is answered with that refusal, never run (one id, one result).
   */
  readonly #answeringInvalid = new Map<string, Promise<void>>();
  #retryTimer: NodeJS.Timeout | null = null;

  constructor(deps: PipelineDeps) {
    this.#deps = deps;
    this.#ctx = deps.ctx;
  }

  /** Results stored but not held back: what is (re-)sent after authenticating. */
  pending(): CommandResultPayload[] {
    return this.#ctx.store.pending();
  }

  held(): number {
    return this.#held.size;
  }

  async handle(cmd: CommandPayload, raw: Record<string, unknown>): Promise<void> {
    const ctx = this.#ctx;
    const id = cmd.id;
    const refusing = this.#answeringInvalid.get(id);
    if (refusing) {
      await refusing;
      return this.handle(cmd, raw);
    }
    if (ctx.inFlight.has(id) || ctx.store.state(id) === 'running' || this.#held.has(id)) {
      // Its result will be sent when it ends (and is stored); it is never started twice.
      ctx.logger.info('command is already running; not starting it twice', { commandId: id });
      return;
    }
    if (ctx.store.state(id) === 'finished' || this.#unstored.has(id)) {
      this.#resendKnownResult(id);
      return;
    }
    const flight: InFlight = {
      record: newTaskRecord(cmd, ctx.clock.now()),
      controller: new AbortController(),
      isClaude: typeof cmd.command_type === 'object',
      approval: null,
      tail: '',
      tailKind: null,
    };
    ctx.inFlight.set(id, flight);
    try {
      await ctx.store.start(flight.record);
    } catch (err) {
      ctx.inFlight.delete(id);
      this.#refuseUnstored(flight.record, err as Error);
      return;
    }
    ctx.changed();
    let outcome: ExecutionOutcome;
    try {
      outcome = await this.#execute(cmd, raw, flight);
    } catch (err) {
      ctx.logger.error('command failed inside the agent', { commandId: id, error: String(err) });
      outcome = refusal(`The agent could not run this command: ${(err as Error).message}`);
    }
    const finished = finishTaskRecord(flight.record, outcome, ctx.clock.now());
    await this.deliver(finished, outcome).finally(() => ctx.inFlight.delete(id));
    ctx.changed();
    ctx.emit('task', finished);
    if (flight.isClaude && finished.started_at) {
      ctx.emit('notify', { title: 'AI task finished', body: `${finished.summary.slice(0, 120)} — ${finished.status}` });
    }
  }

  /** A frame that failed its schema but carries a command id: that id is refused, once, with the reason. */
  onInvalidFrame(bad: InvalidFrame): void {
    const ctx = this.#ctx;
    const id = bad.commandId;
    if (!id || ctx.inFlight.has(id) || ctx.store.state(id) || this.#answeringInvalid.has(id) || this.#held.has(id) || this.#unstored.has(id)) return;
    const outcome = refusal(`Invalid command: ${bad.error}. The command was not run.`);
    const record = finishTaskRecord(invalidCommandRecord(id, ctx.clock.now()), outcome, ctx.clock.now());
    const delivering = this.deliver(record, outcome).finally(() => this.#answeringInvalid.delete(id));
    this.#answeringInvalid.set(id, delivering.catch(() => undefined));
    ctx.track(delivering);
  }

  /**
   * Stores the end of a command with its result, then sends the result. When the disk refuses, the result
   * is held and offered to the disk again: it is sent once stored, so a restart in between reports the
   * command interrupted and that stays the only result the server ever gets for it.
   */
  async deliver(record: TaskRecord, outcome: ExecutionOutcome): Promise<void> {
    const result = toResultPayload(record.id, outcome);
    try {
      await this.#ctx.store.finish(record, result);
    } catch (err) {
      this.#ctx.logger.error('could not store a result; holding it until the disk accepts it', { commandId: record.id, error: String(err) });
      this.#held.set(record.id, { record, result });
      this.#scheduleRetry();
      return;
    }
    this.#ctx.connection.send({ type: 'command_result', payload: result });
  }

  /** Reports the commands a previous run of the agent left running as interrupted, and stops what they left behind. */
  async reportInterrupted(): Promise<void> {
    const ctx = this.#ctx;
    for (const prior of ctx.store.unfinishedAtLoad()) {
      await killProcessTree(undefined, this.treeMarker(prior.id));
      const outcome: ExecutionOutcome = {
        exit_code: -1,
        stdout: prior.stdout,
        stderr: prior.stderr,
        duration_ms: prior.started_at ? Math.max(0, ctx.clock.now() - Date.parse(prior.started_at)) : 0,
        status: 'interrupted',
        reason: 'interrupted: the agent stopped while this command was running (restart or crash); it may not have completed.',
      };
      await this.deliver(finishTaskRecord(prior, outcome, ctx.clock.now()), outcome);
      ctx.logger.warn('reported a command interrupted by the previous agent run', { commandId: prior.id });
    }
  }

  /** A stable marker for a command's process tree, so a restarted agent can find what a crashed one left. */
  treeMarker(commandId: string): string {
    return createHash('sha256').update(`${this.#deps.markerSalt()}:${commandId}`).digest('hex').slice(0, 32);
  }

  dispose(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (this.#held.size > 0) {
      this.#ctx.logger.warn('results the disk would not store were not sent; the next start reports those commands interrupted', { count: this.#held.size });
    }
  }

  async #execute(cmd: CommandPayload, raw: Record<string, unknown>, flight: InFlight): Promise<ExecutionOutcome> {
    const ctx = this.#ctx;
    if (ctx.isStopping()) return refusal('The agent is shutting down; the command was not run.');
    if (ctx.config.commandSigningPublicKey) {
      const sig = verifyCommandSignature(raw, ctx.config.commandSigningPublicKey, ctx.clock.now(), ctx.agentId());
      if (!sig.ok) return refusal(`signature invalid: ${sig.reason}`);
    }
    if (cmd.elevated && !this.#deps.elevated) {
      return refusal('This command asks to run elevated, but the agent is not running as an administrator or root, and it never elevates itself.');
    }
    if (typeof cmd.command_type === 'object') {
      return runAiTask({ ...this.#deps, treeMarker: (id) => this.treeMarker(id), withProgress: (f, fn) => this.#withProgress(f, fn) }, cmd, cmd.command_type.claude_task, flight);
    }
    const paused = this.#deps.control.pausedReason();
    if (paused) return refusal(paused);
    if (!cmd.command.trim()) return refusal('The command is empty; there is nothing to run.');
    const consent = this.#deps.control.consent.shellApproval().effective;
    const who = cmd.requested_by ?? null;
    if (consent === 'consent') {
      const decision = await awaitApproval(this.#deps, flight, { kind: 'shell', task: cmd.command, requester: who, workingDirectory: '' });
      if (decision) return decision;
      if (flight.controller.signal.aborted) return stoppedBeforeStart(flight.controller.signal);
      const pausedNow = this.#deps.control.pausedReason();
      if (pausedNow) return refusal(pausedNow);
    } else if (consent === 'notify') {
      ctx.emit('notify', { title: `${who ?? 'A technician'} runs a ${cmd.command_type} command`, body: cmd.command.slice(0, 200) });
    }
    const timeoutSeconds = Math.min(cmd.timeout_seconds ?? 300, ctx.config.maxTimeoutSeconds);
    flight.record = { ...flight.record, started_at: new Date(ctx.clock.now()).toISOString() };
    ctx.changed();
    return this.#withProgress(flight, (onProgress) =>
      runShellCommand({
        kind: cmd.command_type as 'shell' | 'powershell' | 'python',
        script: cmd.command,
        timeoutMs: Math.round(timeoutSeconds * 1000),
        outputLimitBytes: ctx.config.outputLimitBytes,
        signal: flight.controller.signal,
        onProgress,
        treeMarker: this.treeMarker(cmd.id),
      }),
    );
  }

  /** Runs `fn` with a progress sink that coalesces frames to the server and keeps the live tail. */
  async #withProgress(flight: InFlight, fn: (onProgress: ProgressSink) => Promise<ExecutionOutcome>): Promise<ExecutionOutcome> {
    const ctx = this.#ctx;
    const commandId = flight.record.id;
    const coalescer = new ProgressCoalescer({
      budgetBytes: ctx.config.outputLimitBytes * 2,
      emit: (kind, data, seq) => {
        ctx.connection.send({ type: 'command_progress', payload: { command_id: commandId, seq, kind, data } });
      },
    });
    try {
      return await fn((kind: ProgressKind, data: string) => {
        coalescer.push(kind, data);
        const line = lastLine(data);
        if (line) {
          flight.tail = line.length > MAX_TAIL_CHARS ? `${line.slice(0, MAX_TAIL_CHARS)}…` : line;
          flight.tailKind = kind;
        }
        ctx.emit('progress', { commandId, kind, data });
      });
    } finally {
      coalescer.close();
    }
  }

  #resendKnownResult(commandId: string): void {
    const stored = this.#unstored.get(commandId) ?? this.#ctx.store.resultOf(commandId);
    this.#ctx.logger.info('repeated command id: answering from the record, not running it again', { commandId });
    const payload = stored ?? toResultPayload(commandId, refusal('This command id was already run on this agent; it is not run twice, and its result is no longer kept.'));
    this.#ctx.connection.send({ type: 'command_result', payload });
  }

  /** Not even the start could be stored: the command does not run (it could not be de-duplicated), and says why. */
  #refuseUnstored(record: TaskRecord, err: Error): void {
    const outcome = refusal(
      `The agent could not record this command on disk, so it did not run it (${err.message}). Free space in or fix access to ${this.#ctx.dataDir}.`,
    );
    const result = toResultPayload(record.id, outcome);
    this.#ctx.logger.error('could not record a command before running it; refused it', { commandId: record.id, error: err.message });
    this.#unstored.set(record.id, result);
    this.#ctx.connection.send({ type: 'command_result', payload: result });
    this.#ctx.emit('task', finishTaskRecord(record, outcome, this.#ctx.clock.now()));
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#ctx.isStopping()) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#ctx.track(this.#retryHeld());
    }, HELD_RETRY_MS);
    this.#retryTimer.unref();
  }

  async #retryHeld(): Promise<void> {
    for (const [id, { record, result }] of [...this.#held]) {
      try {
        await this.#ctx.store.finish(record, result);
      } catch {
        this.#scheduleRetry();
        return;
      }
      this.#held.delete(id);
      this.#ctx.connection.send({ type: 'command_result', payload: result });
      this.#ctx.changed();
    }
  }
}

/** The last non-empty line of a chunk; only its end is looked at, so big chunks cost nothing extra. */
function lastLine(data: string): string {
  const lines = data.slice(-2 * MAX_TAIL_CHARS).split(/\r?\n/).filter((l) => l.trim());
  return lines.at(-1)?.trim() ?? '';
}
