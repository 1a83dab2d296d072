/** The AI-task budget (SPEC §4.2 check 6): the rolling window, persisted, with a slot given back when a start fails. */
import type { AgentConfig } from '../contracts/config.js';
import { RateLimiter, type RateLimitStatus, type RateStart } from '../policy/rate-limiter.js';
import type { Clock } from './clock.js';
import type { PersistentState } from './persistent-state.js';

export const RATE_WINDOW_MS = 3_600_000;

export class RateBudget {
  readonly #config: AgentConfig['claude'];
  readonly #clock: Clock;
  readonly #state: PersistentState;
  #limiter: RateLimiter;

  constructor(config: AgentConfig['claude'], clock: Clock, state: PersistentState) {
    this.#config = config;
    this.#clock = clock;
    this.#state = state;
    this.#limiter = this.#make(state.rate.get().starts);
  }

  get limiter(): RateLimiter {
    return this.#limiter;
  }

  /** Takes a slot now (the moment the CLI is started); returns it, to give back if the start fails. */
  take(requester: string | null): RateStart | undefined {
    this.#limiter.take(requester);
    return this.#limiter.starts().at(-1);
  }

  giveBack(slot: RateStart | undefined): void {
    this.#limiter = this.#make(this.#limiter.starts().filter((s) => s !== slot));
  }

  status(): RateLimitStatus {
    return this.#limiter.status();
  }

  /** The oldest start still in the window (when the budget next changes by itself). */
  oldestStart(): RateStart | undefined {
    return this.#limiter.starts()[0];
  }

  /** When the oldest start in the window leaves it (ISO), or null when no slot is used. */
  nextSlotFreesAt(): string | null {
    const oldest = this.oldestStart();
    return oldest ? new Date(oldest.at + RATE_WINDOW_MS).toISOString() : null;
  }

  persist(): Promise<void> {
    return this.#state.rate.set({ starts: this.#limiter.starts() });
  }

  #make(starts: RateStart[]): RateLimiter {
    return new RateLimiter(
      {
        limit: this.#config.maxTasksPerHour,
        windowMs: RATE_WINDOW_MS,
        ...(this.#config.maxTasksPerHourPerRequester !== undefined ? { perRequesterLimit: this.#config.maxTasksPerHourPerRequester } : {}),
      },
      this.#clock,
      starts,
    );
  }
}
