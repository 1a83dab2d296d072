/**
 * The agent core: one object that keeps the connection to the RMM server, runs what technicians
 * dispatch under the local user's controls, persists everything it must not lose, and exposes a
 * snapshot of its state plus typed change events for the window, the console and the tray.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { resolveClaudeExecutable, runClaudeTask } from '../claude/claude-executor.js';
import { chooseConfinement } from '../claude/claude-launch.js';
import { probeConfinement, type Confinement } from '../confine/cli-sandbox.js';
import { describeContainment } from '../confine/containment.js';
import { Connection, type ConnectionOptions, type ConnectionState } from '../connection/connection.js';
import type { AgentConfig } from '../contracts/config.js';
import {
  AGENT_CAPABILITIES,
  type ClaudeTaskSpec,
  type CommandPayload,
  type CommandResultPayload,
  type InboundMessage,
  type ProgressKind,
  type TaskRecord,
} from '../contracts/wire.js';
import { killProcessTree } from '../exec/process-tree.js';
import { ProgressCoalescer } from '../exec/progress-coalescer.js';
import { runShellCommand } from '../exec/shell-executor.js';
import { stoppedBeforeStart, type ExecutionOutcome, type StopRequest } from '../exec/types.js';
import { ApprovalBroker } from '../policy/approval.js';
import { verifyCommandSignature } from '../policy/command-signature.js';
import { RateLimiter } from '../policy/rate-limiter.js';
import { CommandLedger } from '../store/command-ledger.js';
import { ensurePrivateDir } from '../store/atomic-file.js';
import { Outbox } from '../store/outbox.js';
import { TaskHistory } from '../store/task-history.js';
import { checkClaudeTask, recheckAfterApproval, type ClaudeGateDeps } from './claude-gate.js';
import { systemClock, type Clock } from './clock.js';
import { isElevated } from './elevation.js';
import { AGENT_VERSION, describeHost } from './host-info.js';
import { LocalEventLog } from './local-event-log.js';
import type { Logger } from './logger.js';
import { loadPersistentState, type PersistentState } from './persistent-state.js';
import type { AgentSnapshot, ApprovalView, LocalEvent } from './snapshot.js';
import { finishTaskRecord, newTaskRecord, refusal, resultFromRecord, toResultPayload } from './task-record.js';
import { TypedEmitter } from './typed-emitter.js';

export interface AgentOptions {
  config: AgentConfig;
  dataDir: string;
  logger: Logger;
  clock?: Clock;
  /** Shorter connection timings, for tests. */
  connectionTiming?: ConnectionOptions['timing'];
}

export interface ProgressEvent {
  commandId: string;
  kind: ProgressKind;
  data: string;
}

export interface NotifyEvent {
  title: string;
  body: string;
}

export type AgentEvents = {
  /** Something in the snapshot changed; call `snapshot()`. */
  change: [];
  progress: [ProgressEvent];
  task: [TaskRecord];
  notify: [NotifyEvent];
};

interface InFlight {
  record: TaskRecord;
  controller: AbortController;
  isClaude: boolean;
  approval: ApprovalView | null;
  tail: string;
}

const RECENT_SHOWN = 50;
const HISTORY_FRAME_OUTPUT_CHARS = 4 * 1024;
const MAX_TAIL_CHARS = 300;
const SHUTDOWN_GRACE_MS = 15_000;
const ACK_WAIT_MS = 3_000;
const RATE_WINDOW_MS = 3_600_000;

export class Agent extends TypedEmitter<AgentEvents> {
  readonly config: AgentConfig;
  readonly dataDir: string;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #state: PersistentState;
  readonly #ledger: CommandLedger;
  readonly #outbox: Outbox;
  readonly #history: TaskHistory;
  readonly #events: LocalEventLog;
  readonly #broker: ApprovalBroker;
  readonly #connection: Connection;
  readonly #elevated: boolean;
  readonly #claudeExe: { path: string } | { error: string };
  readonly #confinement: Confinement;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #handlers = new Set<Promise<void>>();
  /** Ids of malformed commands being answered (so a burst of duplicates is answered once). */
  readonly #answeringInvalid = new Set<string>();
  #rateLimiter: RateLimiter;
  #connectionDetail: string | null = null;
  #lastStatusSent = '';
  #pauseTimer: NodeJS.Timeout | null = null;
  #rateTimer: NodeJS.Timeout | null = null;
  #stopping = false;

  private constructor(
    opts: AgentOptions,
    parts: {
      state: PersistentState;
      ledger: CommandLedger;
      outbox: Outbox;
      history: TaskHistory;
      events: LocalEventLog;
      elevated: boolean;
      claudeExe: { path: string } | { error: string };
      confinement: Confinement;
    },
  ) {
    super();
    this.config = opts.config;
    this.dataDir = opts.dataDir;
    this.#logger = opts.logger;
    this.#clock = opts.clock ?? systemClock;
    this.#state = parts.state;
    this.#ledger = parts.ledger;
    this.#outbox = parts.outbox;
    this.#history = parts.history;
    this.#events = parts.events;
    this.#elevated = parts.elevated;
    this.#claudeExe = parts.claudeExe;
    this.#confinement = parts.confinement;
    this.#rateLimiter = this.#newRateLimiter(this.#state.rate.get().starts);
    this.#broker = new ApprovalBroker(this.#clock, this.config.approvalTimeoutSeconds * 1000);
    this.#broker.on('change', () => this.#changed());
    this.#connection = new Connection({
      config: this.config,
      logger: this.#logger,
      buildAuth: () => ({
        api_key: this.config.apiKey,
        agent_id: this.agentId,
        ...describeHost(),
        agent_version: AGENT_VERSION,
        capabilities: [...AGENT_CAPABILITIES],
      }),
      onMessage: (msg) => this.#onMessage(msg),
      onInvalidFrame: (bad) => this.#onInvalidFrame(bad),
      onAuthenticated: () => this.#onAuthenticated(),
      onStateChange: (_state, detail) => {
        this.#connectionDetail = detail;
        this.#changed();
      },
      heartbeatStatus: () => this.#heartbeatStatus(),
      ...(opts.connectionTiming ? { timing: opts.connectionTiming } : {}),
    });
  }

  /**
   * Loads everything persisted in `dataDir`, reports commands that were running when the agent last
   * stopped as `interrupted`, and returns an agent ready to `start()`.
   */
  static async create(opts: AgentOptions): Promise<Agent> {
    const { dataDir, logger } = opts;
    ensurePrivateDir(dataDir);
    const state = await loadPersistentState(dataDir, logger);
    const ledger = new CommandLedger(path.join(dataDir, 'commands.jsonl'), opts.clock ?? systemClock, logger);
    ledger.load();
    const outbox = new Outbox(path.join(dataDir, 'outbox'), logger);
    outbox.load();
    const history = new TaskHistory(path.join(dataDir, 'history.jsonl'), logger);
    history.load();
    const events = new LocalEventLog(path.join(dataDir, 'local-events.jsonl'), logger);
    events.load();
    const [elevated, claudeExe, confinement] = await Promise.all([
      isElevated(),
      resolveClaudeExecutable(opts.config.claude.executable),
      probeConfinement(),
    ]);
    if ('error' in claudeExe) logger.warn('AI tasks unavailable', { problem: claudeExe.error });
    logConfinement(logger, opts.config.claude.sandbox, confinement);
    const containment = describeContainment();
    logger.info(`shell commands are kept together by: ${containment.mechanism}`, { detail: containment.detail });
    const agent = new Agent(opts, { state, ledger, outbox, history, events, elevated, claudeExe, confinement });
    await agent.#reportInterrupted();
    agent.#schedulePauseExpiry();
    return agent;
  }

  get agentId(): string {
    return this.#state.identity.get().agent_id;
  }

  get connectionState(): ConnectionState {
    return this.#connection.state;
  }

  /** Connects to the server and keeps reconnecting until `stop()`. */
  start(): void {
    this.#logger.info('agent starting', { agentId: this.agentId, server: this.#connection.serverUrl, version: AGENT_VERSION });
    this.#connection.start();
  }

  /**
   * Stops every running command (reported `interrupted`), gives the server a moment to acknowledge
   * the results, and closes the connection. Results not acknowledged stay in the outbox.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#pauseTimer) clearTimeout(this.#pauseTimer);
    if (this.#rateTimer) clearTimeout(this.#rateTimer);
    const req: StopRequest = { status: 'interrupted', reason: 'interrupted: the agent was shut down while this command was running.' };
    for (const f of this.#inFlight.values()) f.controller.abort(req);
    await withTimeout(Promise.allSettled([...this.#handlers]), SHUTDOWN_GRACE_MS);
    if (this.#connection.state === 'connected') {
      const deadline = this.#clock.now() + ACK_WAIT_MS;
      while (this.#outbox.list().length > 0 && this.#clock.now() < deadline) await sleep(50);
    }
    await this.#connection.stop();
    this.#logger.info('agent stopped', { unacknowledged: this.#outbox.list().length });
  }

  // ---- local control (SPEC §5): these can only add restrictions ----

  /** Pauses remote execution for `durationMs` (null = until resumed); optionally stops running tasks too. */
  async pause(durationMs: number | null, stopRunning = false): Promise<void> {
    const now = this.#clock.now();
    const until = durationMs === null ? null : now + durationMs;
    await this.#state.pause.set({ paused: true, until, since: now });
    this.#schedulePauseExpiry();
    await this.#recordLocal('pause', until === null ? 'until resumed' : `until ${new Date(until).toISOString()}`);
    if (stopRunning) this.stopAll();
    this.#changed();
  }

  async resume(): Promise<void> {
    if (!this.#state.pause.get().paused) return;
    await this.#state.pause.set({ paused: false, until: null, since: null });
    this.#schedulePauseExpiry();
    await this.#recordLocal('resume', 'remote execution resumed');
    this.#changed();
  }

  /** Stops one running (or awaiting-approval) command; false if there is no such command. */
  stopTask(commandId: string): boolean {
    const f = this.#inFlight.get(commandId);
    if (!f || f.controller.signal.aborted) return false;
    f.controller.abort({ status: 'cancelled', reason: 'stopped by the local user' } satisfies StopRequest);
    void this.#recordLocal('stop', `${commandId}: ${f.record.summary.slice(0, 80)}`);
    return true;
  }

  stopAll(): number {
    let n = 0;
    for (const id of this.#inFlight.keys()) if (this.stopTask(id)) n++;
    return n;
  }

  approve(commandId: string): boolean {
    return this.#broker.decide(commandId, 'allow');
  }

  deny(commandId: string): boolean {
    return this.#broker.decide(commandId, 'deny');
  }

  /** The whole state the UI shows. */
  snapshot(): AgentSnapshot {
    const pause = this.#effectivePause();
    const host = describeHost();
    return {
      agentId: this.agentId,
      hostname: host.hostname,
      version: AGENT_VERSION,
      connection: { state: this.#connection.state, detail: this.#connectionDetail, serverUrl: this.#connection.serverUrl },
      paused: pause.paused,
      pausedUntil: pause.until === null ? null : new Date(pause.until).toISOString(),
      approvalRequired: this.config.approvalRequired,
      userMayQuit: this.config.userMayQuit,
      claude: this.#claudeView(),
      running: [...this.#inFlight.values()]
        .filter((f) => f.record.status === 'running')
        .map((f) => ({ record: { ...f.record }, tail: f.tail })),
      awaitingApproval: [...this.#inFlight.values()].flatMap((f) => (f.approval ? [f.approval] : [])),
      recent: this.#history.recent(RECENT_SHOWN),
      localEvents: this.#events.recent(20),
    };
  }

  #claudeView(): AgentSnapshot['claude'] {
    const choice = chooseConfinement(this.config.claude.sandbox, this.#confinement);
    const problem = 'error' in this.#claudeExe
      ? this.#claudeExe.error
      : !this.config.claude.baseDirectory
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
      budget: this.#rateLimiter.status(),
      concurrency: { limit: this.config.claude.maxConcurrent, running: this.#claudeRunningCount() },
    };
  }

  /** Most recent task records, newest first (the same the window and `history` frames show). */
  history(limit: number): TaskRecord[] {
    return this.#history.recent(limit);
  }

  // ---- inbound frames ----

  #onMessage(msg: InboundMessage): void {
    switch (msg.type) {
      case 'command':
        this.#track(this.#handleCommand(msg.payload, msg.raw ?? {}));
        break;
      case 'cancel': {
        const f = this.#inFlight.get(msg.payload.command_id);
        if (f) f.controller.abort({ status: 'cancelled', reason: 'cancelled by the technician' } satisfies StopRequest);
        else this.#logger.info('cancel for a command that is not running', { commandId: msg.payload.command_id });
        break;
      }
      case 'result_ack':
        this.#track(this.#outbox.remove(msg.payload.command_id));
        break;
      case 'history_request':
        this.#connection.send({
          type: 'history',
          payload: { records: this.#history.recent(msg.payload.limit).map(trimForFrame) },
        });
        break;
      default:
        break;
    }
  }

  #onInvalidFrame(bad: { error: string; commandId: string | null; type: string | null; unknownType?: boolean }): void {
    if (bad.unknownType) {
      this.#logger.info('ignored a frame of unknown type', { type: bad.type });
      return;
    }
    this.#logger.warn('dropped an invalid frame', { error: bad.error, commandId: bad.commandId });
    const id = bad.commandId;
    if (!id || this.#inFlight.has(id) || this.#ledger.state(id) || this.#answeringInvalid.has(id)) return;
    this.#answeringInvalid.add(id);
    const outcome = refusal(`Invalid command: ${bad.error}. The command was not run.`);
    this.#track(this.#deliver(id, outcome).finally(() => this.#answeringInvalid.delete(id)));
  }

  #onAuthenticated(): void {
    this.#lastStatusSent = '';
    this.#sendStatus();
    for (const result of this.#outbox.list()) this.#connection.send({ type: 'command_result', payload: result });
  }

  // ---- running commands ----

  async #handleCommand(cmd: CommandPayload, raw: Record<string, unknown>): Promise<void> {
    const id = cmd.id;
    if (this.#ledger.state(id) === 'finished') {
      this.#resendKnownResult(id);
      return;
    }
    if (this.#inFlight.has(id) || this.#ledger.state(id) === 'running') {
      // Its result will be sent when it ends; it is never started twice.
      this.#logger.info('command is already running; not starting it twice', { commandId: id });
      return;
    }
    const record = newTaskRecord(cmd, this.#clock.now());
    const flight: InFlight = {
      record,
      controller: new AbortController(),
      isClaude: typeof cmd.command_type === 'object',
      approval: null,
      tail: '',
    };
    this.#inFlight.set(id, flight);
    let outcome: ExecutionOutcome;
    try {
      // Both durable before anything runs; written concurrently to halve the wait.
      await Promise.all([this.#ledger.markRunning(id), this.#history.upsert(record)]);
      this.#changed();
      outcome = await this.#execute(cmd, raw, flight);
    } catch (err) {
      this.#logger.error('command failed inside the agent', { commandId: id, error: String(err) });
      outcome = refusal(`The agent could not run this command: ${(err as Error).message}`);
    }
    // The final record is written first, so a repeated id can always be answered from it.
    const finished = finishTaskRecord(flight.record, outcome, this.#clock.now());
    try {
      await this.#history.upsert(finished);
    } finally {
      this.#inFlight.delete(id);
      await this.#deliver(id, outcome);
    }
    this.emit('task', finished);
    if (flight.isClaude && finished.started_at) {
      this.emit('notify', { title: 'AI task finished', body: `${finished.summary.slice(0, 120)} — ${finished.status}` });
    }
  }

  async #execute(cmd: CommandPayload, raw: Record<string, unknown>, flight: InFlight): Promise<ExecutionOutcome> {
    if (this.#stopping) return refusal('The agent is shutting down; the command was not run.');
    if (this.config.commandSigningPublicKey) {
      const sig = verifyCommandSignature(raw, this.config.commandSigningPublicKey, this.#clock.now(), this.agentId);
      if (!sig.ok) return refusal(`signature invalid: ${sig.reason}`);
    }
    if (cmd.elevated && !this.#elevated) {
      return refusal(
        'This command asks to run elevated, but the agent is not running as an administrator or root, and it never elevates itself.',
      );
    }
    if (typeof cmd.command_type === 'object') {
      return this.#executeClaude(cmd, cmd.command_type.claude_task, flight);
    }
    const paused = this.#pausedReason();
    if (paused) return refusal(paused);
    if (!cmd.command.trim()) return refusal('The command is empty; there is nothing to run.');
    const timeoutSeconds = Math.min(cmd.timeout_seconds ?? 300, this.config.maxTimeoutSeconds);
    flight.record = { ...flight.record, started_at: new Date(this.#clock.now()).toISOString() };
    this.#changed();
    return this.#withProgress(flight, (onProgress) =>
      runShellCommand({
        kind: cmd.command_type as 'shell' | 'powershell' | 'python',
        script: cmd.command,
        timeoutMs: Math.round(timeoutSeconds * 1000),
        outputLimitBytes: this.config.outputLimitBytes,
        signal: flight.controller.signal,
        onProgress,
        treeMarker: this.#treeMarker(cmd.id),
      }),
    );
  }

  async #executeClaude(cmd: CommandPayload, spec: ClaudeTaskSpec, flight: InFlight): Promise<ExecutionOutcome> {
    const requester = cmd.requested_by ?? null;
    const deps = this.#gateDeps();
    const gate = await checkClaudeTask(spec, requester, deps);
    if (!gate.ok) return refusal(gate.reason);
    const prepared = gate.value;
    flight.record = { ...flight.record, working_directory: prepared.workingDirectory };

    if (this.config.approvalRequired) {
      const decision = await this.#awaitApproval(flight, prepared.task, requester, prepared.workingDirectory);
      if (decision) return decision;
    }
    const signal = flight.controller.signal;
    if (signal.aborted) return stoppedBeforeStart(signal);
    // Re-check synchronously right before starting, so concurrent arrivals cannot overshoot the limits.
    const again = recheckAfterApproval(requester, deps);
    if (!again.ok) return refusal(again.reason);

    const claude = this.config.claude;
    const timeoutSeconds = Math.min(cmd.timeout_seconds ?? claude.defaultTimeoutSeconds, claude.maxTimeoutSeconds, this.config.maxTimeoutSeconds);
    flight.record = { ...flight.record, status: 'running', started_at: new Date(this.#clock.now()).toISOString() };
    this.#rateLimiter.take(requester);
    const slot = this.#rateLimiter.starts().at(-1);
    let spawned = false;
    this.#changed();
    const outcome = await this.#withProgress(flight, (onProgress) =>
      runClaudeTask({
        commandId: cmd.id,
        task: prepared.task,
        workingDirectory: prepared.workingDirectory,
        workingDirectoryId: prepared.workingDirectoryId,
        confinement: this.#confinement,
        contextFiles: prepared.contextFiles,
        timeoutMs: Math.round(timeoutSeconds * 1000),
        outputLimitBytes: this.config.outputLimitBytes,
        executable: prepared.executable,
        config: claude,
        dataDir: this.dataDir,
        signal,
        onProgress,
        treeMarker: this.#treeMarker(cmd.id),
        onSpawn: () => {
          spawned = true;
          this.#track(this.#persistRate());
          this.emit('notify', {
            title: 'AI task started',
            body: `${requester ? `${requester}: ` : ''}${prepared.task.slice(0, 120)}`,
          });
        },
      }),
    );
    if (!spawned) {
      // The CLI never started: the slot taken just before spawning is given back.
      this.#rateLimiter = this.#newRateLimiter(this.#rateLimiter.starts().filter((s) => s !== slot));
      this.#changed();
    }
    return outcome;
  }

  /** Waits for the local user's decision; returns an outcome if the task must not run, else null. */
  async #awaitApproval(flight: InFlight, task: string, requester: string | null, workDir: string): Promise<ExecutionOutcome | null> {
    const id = flight.record.id;
    flight.record = { ...flight.record, status: 'awaiting_approval' };
    const expiresAt = this.#clock.now() + this.config.approvalTimeoutSeconds * 1000;
    flight.approval = { commandId: id, task, requestedBy: requester, workingDirectory: workDir, expiresAt: new Date(expiresAt).toISOString() };
    await this.#history.upsert(flight.record);
    this.emit('notify', { title: 'AI task needs your approval', body: `${requester ? `${requester}: ` : ''}${task.slice(0, 120)}` });
    this.#changed();
    const decision = await this.#broker.request(
      { commandId: id, task, requestedBy: requester, workingDirectory: workDir },
      flight.controller.signal,
    );
    flight.approval = null;
    const at = new Date(decision.at).toISOString();
    if (decision.by === 'cancel') {
      this.#changed();
      return stoppedBeforeStart(flight.controller.signal);
    }
    const action = decision.decision === 'allow' ? 'allow' : 'deny';
    flight.record = {
      ...flight.record,
      status: 'running',
      decisions: [...flight.record.decisions, { at, decision: decision.by === 'timeout' ? 'deny (no answer)' : action, by: decision.by }],
    };
    await this.#recordLocal(action, `${id}: ${task.slice(0, 80)}${decision.by === 'timeout' ? ' (no answer in time)' : ''}`);
    this.#changed();
    if (decision.decision === 'allow') return null;
    return refusal(
      decision.by === 'timeout'
        ? `denied by the local user: no answer within ${this.config.approvalTimeoutSeconds} s.`
        : 'denied by the local user.',
    );
  }

  /** Runs `fn` with a progress sink that coalesces frames to the server and keeps the live tail. */
  async #withProgress(
    flight: InFlight,
    fn: (onProgress: (kind: ProgressKind, data: string) => void) => Promise<ExecutionOutcome>,
  ): Promise<ExecutionOutcome> {
    const commandId = flight.record.id;
    const coalescer = new ProgressCoalescer({
      budgetBytes: this.config.outputLimitBytes * 2,
      emit: (kind, data, seq) => {
        this.#connection.send({ type: 'command_progress', payload: { command_id: commandId, seq, kind, data } });
      },
    });
    try {
      return await fn((kind, data) => {
        coalescer.push(kind, data);
        const line = lastLine(data);
        if (line) flight.tail = line.length > MAX_TAIL_CHARS ? `${line.slice(0, MAX_TAIL_CHARS)}…` : line;
        this.emit('progress', { commandId, kind, data });
      });
    } finally {
      coalescer.close();
    }
  }

  /** Makes a result durable, records the id as finished, and sends it. */
  /**
   * Makes a result durable in the outbox, records the id as finished, then sends it. A crash between
   * the outbox and the ledger is harmless: on restart a result already in the outbox is not reported
   * as interrupted.
   */
  async #deliver(commandId: string, outcome: ExecutionOutcome): Promise<void> {
    const result = toResultPayload(commandId, outcome);
    try {
      await this.#outbox.put(result);
      await this.#ledger.markFinished(commandId);
    } catch (err) {
      // The disk failed us (full, read-only): the result is still sent now rather than lost.
      this.#logger.error('could not store a result durably; sending it anyway', { commandId, error: String(err) });
    }
    this.#connection.send({ type: 'command_result', payload: result });
    this.#changed();
  }

  #resendKnownResult(commandId: string): void {
    const stored: CommandResultPayload | null =
      this.#outbox.get(commandId) ?? resultFromRecord(this.#history.get(commandId) ?? ({ status: 'running' } as TaskRecord));
    this.#logger.info('repeated command id: answering from the record, not running it again', { commandId });
    if (stored) {
      this.#connection.send({ type: 'command_result', payload: stored });
      return;
    }
    this.#connection.send({
      type: 'command_result',
      payload: toResultPayload(commandId, refusal('This command id was already run on this agent; it is not run twice, and its result is no longer kept.')),
    });
  }

  /** A stable marker for a command's process tree, so a restarted agent can find what a crash left behind. */
  #treeMarker(commandId: string): string {
    return createHash('sha256').update(`${this.agentId}:${commandId}`).digest('hex').slice(0, 32);
  }

  async #reportInterrupted(): Promise<void> {
    for (const id of this.#ledger.unfinished()) {
      // Processes the previous agent started for this command are stopped, not left running unowned.
      await killProcessTree(undefined, this.#treeMarker(id));
      if (this.#outbox.get(id)) {
        await this.#ledger.markFinished(id);
        continue;
      }
      const prior = this.#history.get(id);
      const outcome: ExecutionOutcome = {
        exit_code: -1,
        stdout: prior?.stdout ?? '',
        stderr: prior?.stderr ?? '',
        duration_ms: prior?.started_at ? Math.max(0, this.#clock.now() - Date.parse(prior.started_at)) : 0,
        status: 'interrupted',
        reason: 'interrupted: the agent stopped while this command was running (restart or crash); it may not have completed.',
      };
      if (prior) await this.#history.upsert(finishTaskRecord(prior, outcome, this.#clock.now()));
      await this.#deliver(id, outcome);
      this.#logger.warn('reported a command interrupted by the previous agent run', { commandId: id });
    }
  }

  // ---- state, status, persistence helpers ----

  #gateDeps(): ClaudeGateDeps {
    const currentLimiter = (): RateLimiter => this.#rateLimiter;
    return {
      config: this.config,
      pausedReason: () => this.#pausedReason(),
      executable: () => this.#claudeExe,
      runningClaudeTasks: () => this.#claudeRunningCount(),
      // A getter: the limiter is replaced when a slot is given back after a failed spawn.
      get rateLimiter() {
        return currentLimiter();
      },
    };
  }

  #claudeRunningCount(): number {
    let n = 0;
    for (const f of this.#inFlight.values()) if (f.isClaude && f.record.started_at && f.record.finished_at === null) n++;
    return n;
  }

  #newRateLimiter(starts: { at: number; requester: string | null }[]): RateLimiter {
    const claude = this.config.claude;
    return new RateLimiter(
      {
        limit: claude.maxTasksPerHour,
        windowMs: RATE_WINDOW_MS,
        ...(claude.maxTasksPerHourPerRequester !== undefined ? { perRequesterLimit: claude.maxTasksPerHourPerRequester } : {}),
      },
      this.#clock,
      starts,
    );
  }

  async #persistRate(): Promise<void> {
    await this.#state.rate.set({ starts: this.#rateLimiter.starts() });
  }

  #effectivePause(): { paused: boolean; until: number | null } {
    const p = this.#state.pause.get();
    if (!p.paused) return { paused: false, until: null };
    if (p.until !== null && this.#clock.now() >= p.until) return { paused: false, until: null };
    return { paused: true, until: p.until };
  }

  #pausedReason(): string | null {
    const p = this.#effectivePause();
    if (!p.paused) return null;
    return p.until === null
      ? 'Refused: remote execution is paused by the local user until they resume it.'
      : `Refused: remote execution is paused by the local user until ${new Date(p.until).toISOString()}.`;
  }

  #schedulePauseExpiry(): void {
    if (this.#pauseTimer) clearTimeout(this.#pauseTimer);
    this.#pauseTimer = null;
    const p = this.#state.pause.get();
    if (!p.paused || p.until === null) return;
    const delay = Math.max(0, p.until - this.#clock.now());
    this.#pauseTimer = setTimeout(() => {
      this.#pauseTimer = null;
      this.#track(
        this.#state.pause.set({ paused: false, until: null, since: null }).then(() => {
          void this.#recordLocal('resume', 'pause ended');
          this.#changed();
        }),
      );
    }, Math.min(delay, 2_147_000_000));
    this.#pauseTimer.unref();
  }

  async #recordLocal(action: LocalEvent['action'], detail: string): Promise<void> {
    await this.#events.append({ at: new Date(this.#clock.now()).toISOString(), action, detail });
    this.#logger.info(`local user: ${action}`, { detail });
  }

  #heartbeatStatus(): string {
    if (this.#effectivePause().paused) return 'paused';
    return this.#inFlight.size > 0 ? 'running' : 'idle';
  }

  #statusPayload() {
    const pause = this.#effectivePause();
    const flights = [...this.#inFlight.values()];
    return {
      paused: pause.paused,
      paused_until: pause.until === null ? null : new Date(pause.until).toISOString(),
      approval_required: this.config.approvalRequired,
      running: flights.filter((f) => f.record.status === 'running').map((f) => f.record.id),
      queued_for_approval: flights.filter((f) => f.approval).map((f) => f.record.id),
      rate_limit: this.#rateLimiter.status(),
      concurrency: { limit: this.config.claude.maxConcurrent, running: this.#claudeRunningCount() },
    };
  }

  #sendStatus(): void {
    const payload = this.#statusPayload();
    const text = JSON.stringify(payload);
    if (text === this.#lastStatusSent) return;
    if (this.#connection.send({ type: 'agent_status', payload })) this.#lastStatusSent = text;
  }

  #changed(): void {
    this.#sendStatus();
    this.#scheduleRateRefresh();
    this.emit('change');
  }

  /** When the oldest AI-task start leaves the window, the budget changes: tell the server and the UI. */
  #scheduleRateRefresh(): void {
    if (this.#rateTimer) clearTimeout(this.#rateTimer);
    this.#rateTimer = null;
    const oldest = this.#rateLimiter.starts()[0];
    if (!oldest || this.#stopping) return;
    const delay = Math.max(0, oldest.at + RATE_WINDOW_MS - this.#clock.now()) + 50;
    this.#rateTimer = setTimeout(() => this.#changed(), delay);
    this.#rateTimer.unref();
  }

  #track(p: Promise<unknown>): void {
    const tracked: Promise<void> = p.then(
      () => undefined,
      (err: unknown) => this.#logger.error('background work failed', { error: String(err) }),
    );
    this.#handlers.add(tracked);
    void tracked.finally(() => this.#handlers.delete(tracked));
  }
}

/** Says once, at start-up, how AI tasks will be confined (or why they will not be, or will be refused). */
function logConfinement(logger: Logger, mode: AgentConfig['claude']['sandbox'], available: Confinement): void {
  const choice = chooseConfinement(mode, available);
  if (choice.kind === 'refuse') logger.warn('AI tasks will be refused', { reason: choice.reason });
  else if (choice.kind === 'none' && choice.warning) logger.warn(choice.warning, { sandbox: mode });
  else logger.info(`AI tasks: ${choice.note}`, { sandbox: mode });
}

function trimForFrame(record: TaskRecord): TaskRecord {
  return { ...record, stdout: trimMiddle(record.stdout), stderr: trimMiddle(record.stderr) };
}

function trimMiddle(text: string): string {
  if (text.length <= HISTORY_FRAME_OUTPUT_CHARS) return text;
  const half = HISTORY_FRAME_OUTPUT_CHARS / 2;
  return `${text.slice(0, half)}\n[... ${text.length - HISTORY_FRAME_OUTPUT_CHARS} characters not shown ...]\n${text.slice(-half)}`;
}

/** The last non-empty line of a chunk; only its end is looked at, so big chunks cost nothing extra. */
function lastLine(data: string): string {
  const lines = data.slice(-2 * MAX_TAIL_CHARS).split(/\r?\n/).filter((l) => l.trim());
  return lines.at(-1)?.trim() ?? '';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
