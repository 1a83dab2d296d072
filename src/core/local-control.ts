/**
 * The local user's controls (SPEC §5): pause (surviving restarts, ending by itself when timed), resume,
 * stop one or all, allow or deny an AI task. They only ever add restrictions, and every decision is
 * recorded with its time.
 */
import type { StopRequest } from '../exec/types.js';
import { ApprovalBroker, type ApprovalDecision } from '../policy/approval.js';
import { AskBroker, type AskDecision } from './ask-broker.js';
import { ConsentSettings } from './consent-settings.js';
import type { AgentContext } from './agent-context.js';
import type { LocalEvent } from './snapshot.js';

export class LocalControl {
  readonly #ctx: AgentContext;
  readonly broker: ApprovalBroker;
  readonly asks: AskBroker;
  readonly consent: ConsentSettings;
  #pauseTimer: NodeJS.Timeout | null = null;
  #windows = 0;

  constructor(ctx: AgentContext) {
    this.#ctx = ctx;
    this.broker = new ApprovalBroker(ctx.clock, ctx.config.approvalTimeoutSeconds * 1000);
    this.broker.on('change', () => ctx.changed());
    this.asks = new AskBroker(ctx.clock, () => ctx.changed());
    this.consent = new ConsentSettings({ dataDir: ctx.dataDir, policy: ctx.config.shellApproval, clock: ctx.clock, logger: ctx.logger });
  }

  /** Allows an AI task; with `grant`, also that technician's next AI tasks for approvalGrantMinutes. */
  approveWithGrant(commandId: string, grant: boolean): boolean {
    const minutes = this.#ctx.config.approvalGrantMinutes;
    const waiting = this.#ctx.inFlight.get(commandId)?.approval;
    if (grant && minutes && waiting?.kind === 'ai' && waiting.requestedBy?.trim()) {
      this.consent.grant(waiting.requestedBy, minutes);
      void this.record('allow', `${waiting.requestedBy.trim()}'s AI tasks for ${minutes} min`);
    }
    return this.broker.decide(commandId, 'allow');
  }

  revokeGrant(requester: string): boolean {
    const done = this.consent.revoke(requester);
    if (done) {
      void this.record('deny', `ended the grant for ${requester}`);
      this.#ctx.changed();
    }
    return done;
  }

  async setShellApproval(level: 'off' | 'notify' | 'consent'): Promise<boolean> {
    await this.consent.setShellApproval(level);
    this.#ctx.changed();
    return true;
  }

  /** A window or console client is open (someone can be asked); returns the function that says it closed. */
  attachWindow(): () => void {
    this.#windows++;
    let attached = true;
    return () => {
      if (attached) this.#windows--;
      attached = false;
    };
  }

  windowPresent(): boolean {
    return this.#windows > 0;
  }

  answerAsk(askId: string, decision: AskDecision): boolean {
    return this.asks.answer(askId, decision);
  }

  /** Pauses remote execution for `durationMs` (null = until resumed); optionally stops running tasks too. */
  async pause(durationMs: number | null, stopRunning = false): Promise<void> {
    const now = this.#ctx.clock.now();
    const until = durationMs === null ? null : now + durationMs;
    await this.#ctx.state.pause.set({ paused: true, until, since: now });
    // A pause ends every grant: after it, each AI task asks again.
    this.consent.revokeAll();
    this.schedulePauseExpiry();
    await this.record('pause', until === null ? 'until resumed' : `until ${new Date(until).toISOString()}`);
    if (stopRunning) this.stopAll();
    this.#ctx.changed();
  }

  async resume(): Promise<void> {
    if (!this.#ctx.state.pause.get().paused) return;
    await this.#ctx.state.pause.set({ paused: false, until: null, since: null });
    this.schedulePauseExpiry();
    await this.record('resume', 'remote execution resumed');
    this.#ctx.changed();
  }

  /** Stops one running (or awaiting-approval) command; false if there is no such command. */
  stopTask(commandId: string): boolean {
    const f = this.#ctx.inFlight.get(commandId);
    if (!f || f.controller.signal.aborted) return false;
    f.controller.abort({ status: 'cancelled', reason: 'stopped by the local user' } satisfies StopRequest);
    void this.record('stop', `${commandId}: ${f.record.summary.slice(0, 80)}`);
    return true;
  }

  stopAll(): number {
    let n = 0;
    for (const id of this.#ctx.inFlight.keys()) if (this.stopTask(id)) n++;
    return n;
  }

  approve(commandId: string): boolean {
    return this.broker.decide(commandId, 'allow');
  }

  deny(commandId: string): boolean {
    return this.broker.decide(commandId, 'deny');
  }

  /** Waits for the local user's Allow or Deny (deny on timeout or cancel). */
  requestApproval(req: { commandId: string; task: string; requestedBy: string | null; workingDirectory: string }, signal: AbortSignal): Promise<ApprovalDecision> {
    return this.broker.request(req, signal);
  }

  effectivePause(): { paused: boolean; until: number | null } {
    const p = this.#ctx.state.pause.get();
    if (!p.paused) return { paused: false, until: null };
    if (p.until !== null && this.#ctx.clock.now() >= p.until) return { paused: false, until: null };
    return { paused: true, until: p.until };
  }

  /** The refusal reason while paused, else null. */
  pausedReason(): string | null {
    const p = this.effectivePause();
    if (!p.paused) return null;
    return p.until === null
      ? 'Refused: remote execution is paused by the local user until they resume it.'
      : `Refused: remote execution is paused by the local user until ${new Date(p.until).toISOString()}.`;
  }

  schedulePauseExpiry(): void {
    if (this.#pauseTimer) clearTimeout(this.#pauseTimer);
    this.#pauseTimer = null;
    const p = this.#ctx.state.pause.get();
    if (!p.paused || p.until === null) return;
    const delay = Math.max(0, p.until - this.#ctx.clock.now());
    this.#pauseTimer = setTimeout(() => {
      this.#pauseTimer = null;
      this.#ctx.track(
        this.#ctx.state.pause.set({ paused: false, until: null, since: null }).then(() => {
          void this.record('resume', 'pause ended');
          this.#ctx.changed();
        }),
      );
    }, Math.min(delay, 2_147_000_000));
    this.#pauseTimer.unref();
  }

  async record(action: LocalEvent['action'], detail: string): Promise<void> {
    await this.#ctx.events.append({ at: new Date(this.#ctx.clock.now()).toISOString(), action, detail });
    this.#ctx.logger.info(`local user: ${action}`, { detail });
  }

  dispose(): void {
    if (this.#pauseTimer) clearTimeout(this.#pauseTimer);
    this.#pauseTimer = null;
  }
}
