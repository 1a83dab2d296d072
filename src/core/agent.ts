/**
 * The agent core's face: keeps the connection to the RMM server, hands commands to the pipeline, exposes
 * the local user's controls, a snapshot of the state and typed change events for the window, the console
 * and the tray. The work itself lives in command-pipeline, ai-task-runner, local-control and status-reporter.
 */
import { loadAgentParts, type AgentParts } from './agent-parts.js';
import { aiTaskView } from './ai-task-view.js';
import { Connection, type ConnectionOptions, type ConnectionState } from '../connection/connection.js';
import type { AgentConfig } from '../contracts/config.js';
import { AGENT_CAPABILITIES, type InboundMessage, type TaskRecord } from '../contracts/wire.js';
import type { StopRequest } from '../exec/types.js';
import type { AgentContext, AgentEvents } from './agent-context.js';
import { systemClock, type Clock } from './clock.js';
import { CommandPipeline } from './command-pipeline.js';
import { AGENT_VERSION, describeHost } from './host-info.js';
import type { InFlight } from './in-flight.js';
import type { AskDecision } from './ask-broker.js';
import { LocalControl } from './local-control.js';
import { trimForFrame } from './task-record.js';
import type { Logger } from './logger.js';
import { RateBudget } from './rate-budget.js';
import { matchesFilter, summarize, type AgentSnapshot, type HistoryFilter } from './snapshot.js';
import { StatusReporter } from './status-reporter.js';
import { TypedEmitter } from './typed-emitter.js';

export type { AgentEvents, NotifyEvent, ProgressEvent } from './agent-context.js';

export interface AgentOptions {
  config: AgentConfig;
  dataDir: string;
  logger: Logger;
  clock?: Clock;
  /** Shorter connection timings, for tests. */
  connectionTiming?: ConnectionOptions['timing'];
}

const RECENT_SHOWN = 50;
const SHUTDOWN_GRACE_MS = 15_000;
const ACK_WAIT_MS = 3_000;

export class Agent extends TypedEmitter<AgentEvents> {
  readonly config: AgentConfig;
  readonly dataDir: string;
  readonly #ctx: AgentContext;
  readonly #parts: AgentParts;
  readonly #connection: Connection;
  readonly #control: LocalControl;
  readonly #budget: RateBudget;
  readonly #status: StatusReporter;
  readonly #pipeline: CommandPipeline;
  readonly #handlers = new Set<Promise<void>>();
  #connectionDetail: string | null = null;
  #stopping = false;

  private constructor(opts: AgentOptions, parts: AgentParts) {
    super();
    this.config = opts.config;
    this.dataDir = opts.dataDir;
    this.#parts = parts;
    this.#connection = new Connection({
      config: this.config,
      logger: opts.logger,
      buildAuth: () => ({
        api_key: this.config.apiKey,
        agent_id: this.agentId,
        ...describeHost(),
        agent_version: AGENT_VERSION,
        capabilities: [...AGENT_CAPABILITIES],
      }),
      onMessage: (msg) => this.#onMessage(msg),
      onInvalidFrame: (bad) => {
        if (bad.unknownType) opts.logger.info('ignored a frame of unknown type', { type: bad.type });
        else {
          opts.logger.warn('dropped an invalid frame', { error: bad.error, commandId: bad.commandId });
          this.#pipeline.onInvalidFrame(bad);
        }
      },
      onAuthenticated: () => this.#onAuthenticated(),
      onStateChange: (_state, detail) => {
        this.#connectionDetail = detail;
        this.#changed();
      },
      heartbeatStatus: () => this.#status.heartbeatStatus(),
      ...(opts.connectionTiming ? { timing: opts.connectionTiming } : {}),
    });
    this.#ctx = {
      config: opts.config,
      dataDir: opts.dataDir,
      logger: opts.logger,
      clock: opts.clock ?? systemClock,
      state: parts.state,
      store: parts.store,
      events: parts.events,
      connection: this.#connection,
      inFlight: new Map<string, InFlight>(),
      agentId: () => this.agentId,
      isStopping: () => this.#stopping,
      changed: () => this.#changed(),
      emit: (event, ...args) => this.emit(event, ...args),
      track: (p) => this.#track(p),
    };
    this.#control = new LocalControl(this.#ctx);
    this.#budget = new RateBudget(opts.config.claude, this.#ctx.clock, parts.state);
    this.#status = new StatusReporter(this.#ctx, this.#control, this.#budget);
    this.#pipeline = new CommandPipeline({
      ctx: this.#ctx,
      control: this.#control,
      budget: this.#budget,
      elevated: parts.elevated,
      claudeExe: parts.claudeExe,
      confinement: parts.confinement,
      markerSalt: () => parts.state.markerSalt,
    });
  }

  /**
   * Loads everything persisted in `dataDir`, reports commands that were running when the agent last
   * stopped as `interrupted`, and returns an agent ready to `start()`.
   */
  static async create(opts: AgentOptions): Promise<Agent> {
    const agent = new Agent(opts, await loadAgentParts(opts));
    await agent.#pipeline.reportInterrupted();
    agent.#control.schedulePauseExpiry();
    return agent;
  }

  get agentId(): string {
    return this.#parts.state.identity.get().agent_id;
  }

  get connectionState(): ConnectionState {
    return this.#connection.state;
  }

  /** Connects to the server and keeps reconnecting until `stop()`. */
  start(): void {
    this.#ctx.logger.info('agent starting', { agentId: this.agentId, server: this.#connection.serverUrl, version: AGENT_VERSION });
    this.#connection.start();
  }

  /**
   * Stops every running command (reported `interrupted`), gives the server a moment to acknowledge
   * the results, and closes the connection. Results not acknowledged stay stored and are sent again.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#control.dispose();
    this.#status.dispose();
    const req: StopRequest = { status: 'interrupted', reason: 'interrupted: the agent was shut down while this command was running.' };
    for (const f of this.#ctx.inFlight.values()) f.controller.abort(req);
    await withTimeout(Promise.allSettled([...this.#handlers]), SHUTDOWN_GRACE_MS);
    if (this.#connection.state === 'connected') {
      const deadline = this.#ctx.clock.now() + ACK_WAIT_MS;
      while (this.#pipeline.pending().length > 0 && this.#ctx.clock.now() < deadline) await sleep(50);
    }
    this.#pipeline.dispose();
    await this.#connection.stop();
    await this.#parts.store.close();
    this.#ctx.logger.info('agent stopped', { unacknowledged: this.#pipeline.pending().length });
  }

  // ---- local control (SPEC §5): these can only add restrictions ----

  /** Pauses remote execution for `durationMs` (null = until resumed); optionally stops running tasks too. */
  pause(durationMs: number | null, stopRunning = false): Promise<void> {
    return this.#control.pause(durationMs, stopRunning);
  }

  resume(): Promise<void> {
    return this.#control.resume();
  }

  /** Stops one running (or awaiting-approval) command; false if there is no such command. */
  stopTask(commandId: string): boolean {
    return this.#control.stopTask(commandId);
  }

  stopAll(): number {
    return this.#control.stopAll();
  }

  /** Allows a waiting AI task or command; with `grant`, also that technician's AI tasks for approvalGrantMinutes. */
  approve(commandId: string, grant = false): boolean {
    return this.#control.approveWithGrant(commandId, grant);
  }

  /** Ends a grant early: that technician's AI tasks ask again. */
  revokeGrant(requester: string): boolean {
    return this.#control.revokeGrant(requester);
  }

  /** The local user's shell-command consent level (it never goes below the policy's). */
  setShellApproval(level: 'off' | 'notify' | 'consent'): Promise<boolean> {
    return this.#control.setShellApproval(level);
  }

  deny(commandId: string): boolean {
    return this.#control.deny(commandId);
  }

  /** The local user's answer to an action an AI task asked for (claude.askTools). */
  answerAsk(askId: string, decision: AskDecision): boolean {
    return this.#control.answerAsk(askId, decision);
  }

  /** A window or console client opened: actions can be asked about. Returns the function to call when it closes. */
  attachWindow(): () => void {
    const detach = this.#control.attachWindow();
    return () => {
      detach();
      if (!this.#control.windowPresent()) this.#changed();
    };
  }

  /** The whole state the UI shows. */
  snapshot(): AgentSnapshot {
    const pause = this.#control.effectivePause();
    const flights = [...this.#ctx.inFlight.values()];
    return {
      agentId: this.agentId,
      hostname: describeHost().hostname,
      version: AGENT_VERSION,
      connection: { state: this.#connection.state, detail: this.#connectionDetail, serverUrl: this.#connection.serverUrl },
      paused: pause.paused,
      pausedUntil: pause.until === null ? null : new Date(pause.until).toISOString(),
      approvalRequired: this.config.approvalRequired,
      shellApproval: this.#control.consent.shellApproval(),
      grants: this.#control.consent.grants(),
      userMayQuit: this.config.userMayQuit,
      claude: aiTaskView({ config: this.config, ...this.#parts, budget: this.#budget, inFlight: this.#ctx.inFlight }),
      warnings: [...this.#parts.state.stateWarnings, ...this.#parts.store.warnings],
      running: flights.filter((f) => f.record.status === 'running').map((f) => ({ record: summarize(f.record), tail: f.tail, tailKind: f.tailKind })),
      awaitingApproval: flights.flatMap((f) => (f.approval ? [f.approval] : [])),
      asks: this.#control.asks.pending(),
      recent: this.#parts.store.recent(RECENT_SHOWN).map(summarize),
      localEvents: this.#parts.events.recent(20),
    };
  }

  /** Most recent task records, newest first (the same the window and `history` frames show), optionally filtered. */
  history(limit: number, filter: HistoryFilter = 'all'): TaskRecord[] {
    if (filter === 'all') return this.#parts.store.recent(limit);
    return this.#parts.store.recent(1000).filter((r) => matchesFilter(r, filter)).slice(0, limit);
  }

  /** The output of a finished task (kept up to 32 KiB per stream), or null for an unknown or running one. */
  taskOutput(commandId: string): { stdout: string; stderr: string } | null {
    const r = this.#parts.store.record(commandId);
    return r && r.finished_at ? { stdout: r.stdout, stderr: r.stderr } : null;
  }

  #onMessage(msg: InboundMessage): void {
    switch (msg.type) {
      case 'command':
        this.#track(this.#pipeline.handle(msg.payload, msg.raw ?? {}));
        break;
      case 'cancel': {
        const f = this.#ctx.inFlight.get(msg.payload.command_id);
        if (f) f.controller.abort({ status: 'cancelled', reason: 'cancelled by the technician' } satisfies StopRequest);
        else this.#ctx.logger.info('cancel for a command that is not running', { commandId: msg.payload.command_id });
        break;
      }
      case 'result_ack':
        this.#track(this.#parts.store.acknowledge(msg.payload.command_id));
        break;
      case 'history_request':
        this.#connection.send({ type: 'history', payload: { records: this.#parts.store.recent(msg.payload.limit).map(trimForFrame) } });
        break;
      default:
        break;
    }
  }

  #onAuthenticated(): void {
    this.#status.reset();
    this.#status.send();
    for (const result of this.#pipeline.pending()) this.#connection.send({ type: 'command_result', payload: result });
  }

  #changed(): void {
    this.#status.send();
    this.#status.scheduleRateRefresh();
    this.emit('change');
  }

  #track(p: Promise<unknown>): void {
    const tracked: Promise<void> = p.then(
      () => undefined,
      (err: unknown) => this.#ctx.logger.error('background work failed', { error: String(err) }),
    );
    this.#handlers.add(tracked);
    void tracked.finally(() => this.#handlers.delete(tracked));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
