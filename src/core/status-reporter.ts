/**
 * What the server is told about the agent's state (SPEC §3.3 `agent_status`): sent after auth and on every
 * change (never twice the same), and again when an AI-task slot frees by itself as time passes.
 */
import type { AgentStatusPayload } from '../contracts/wire.js';
import type { AgentContext } from './agent-context.js';
import { claudeRunningCount } from './in-flight.js';
import type { LocalControl } from './local-control.js';
import { RATE_WINDOW_MS, type RateBudget } from './rate-budget.js';

export class StatusReporter {
  readonly #ctx: AgentContext;
  readonly #control: LocalControl;
  readonly #budget: RateBudget;
  #lastSent = '';
  #rateTimer: NodeJS.Timeout | null = null;

  constructor(ctx: AgentContext, control: LocalControl, budget: RateBudget) {
    this.#ctx = ctx;
    this.#control = control;
    this.#budget = budget;
  }

  payload(): AgentStatusPayload {
    const pause = this.#control.effectivePause();
    const flights = [...this.#ctx.inFlight.values()];
    return {
      paused: pause.paused,
      paused_until: pause.until === null ? null : new Date(pause.until).toISOString(),
      approval_required: this.#ctx.config.approvalRequired,
      running: flights.filter((f) => f.record.status === 'running').map((f) => f.record.id),
      queued_for_approval: flights.filter((f) => f.approval).map((f) => f.record.id),
      waiting_for_local_user: this.#control.asks.waitingCommandIds(),
      rate_limit: this.#budget.status(),
      concurrency: { limit: this.#ctx.config.claude.maxConcurrent, running: claudeRunningCount(this.#ctx.inFlight) },
    };
  }

  /** After (re)authentication the server knows nothing: the next status is always sent. */
  reset(): void {
    this.#lastSent = '';
  }

  send(): void {
    const payload = this.payload();
    const text = JSON.stringify(payload);
    if (text === this.#lastSent) return;
    if (this.#ctx.connection.send({ type: 'agent_status', payload })) this.#lastSent = text;
  }

  heartbeatStatus(): string {
    if (this.#control.effectivePause().paused) return 'paused';
    return this.#ctx.inFlight.size > 0 ? 'running' : 'idle';
  }

  /** When the oldest AI-task start leaves the window, the budget changes: tell the server and the UI. */
  scheduleRateRefresh(): void {
    if (this.#rateTimer) clearTimeout(this.#rateTimer);
    this.#rateTimer = null;
    const oldest = this.#budget.oldestStart();
    if (!oldest || this.#ctx.isStopping()) return;
    const delay = Math.max(0, oldest.at + RATE_WINDOW_MS - this.#ctx.clock.now()) + 50;
    this.#rateTimer = setTimeout(() => this.#ctx.changed(), delay);
    this.#rateTimer.unref();
  }

  dispose(): void {
    if (this.#rateTimer) clearTimeout(this.#rateTimer);
    this.#rateTimer = null;
  }
}
