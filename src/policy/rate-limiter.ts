/** Check 6 of SPEC §4.2: AI tasks started in a rolling window, overall and per requester. Pure; persisted by the caller. */
import type { Clock } from '../core/clock.js';
import { fail, pass, type Check } from './check.js';

export interface RateStart {
  at: number;
  requester: string | null;
}

export interface RateLimitStatus {
  limit: number;
  used: number;
  window_seconds: number;
  next_slot_at: string | null;
}

/** Commands without `requested_by` share this bucket (no technician name can collide with it). */
const ANONYMOUS_BUCKET = '\u0000anonymous';

/** The per-requester bucket: names trimmed and case-folded, so `tech`, ` Tech ` and `TECH` are one requester. */
export function requesterBucket(requester: string | null | undefined): string {
  const name = requester?.normalize('NFKC').trim().toLocaleLowerCase('en-US');
  return name ? name : ANONYMOUS_BUCKET;
}

export class RateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #perRequester: number | undefined;
  readonly #clock: Clock;
  #starts: RateStart[];

  constructor(opts: { limit: number; windowMs: number; perRequesterLimit?: number }, clock: Clock, starts: RateStart[] = []) {
    this.#limit = opts.limit;
    this.#windowMs = opts.windowMs;
    this.#perRequester = opts.perRequesterLimit;
    this.#clock = clock;
    this.#starts = [...starts].sort((a, b) => a.at - b.at);
  }

  /** Whether one more task may start now for `requester`. */
  check(requester: string | null): Check {
    if (this.#limit === 0) return fail('AI tasks are turned off by the admin policy (claude.maxTasksPerHour is 0).');
    const live = this.#live();
    if (live.length >= this.#limit) {
      return fail(
        `Rate limit reached: ${this.#limit} AI tasks per hour. Next slot at ${slotTime(live, this.#limit, this.#windowMs)}.`,
      );
    }
    if (this.#perRequester === 0) return fail('AI tasks are turned off by the admin policy (claude.maxTasksPerHourPerRequester is 0).');
    if (this.#perRequester !== undefined) {
      const bucket = requesterBucket(requester);
      const mine = live.filter((s) => requesterBucket(s.requester) === bucket);
      if (mine.length >= this.#perRequester) {
        const who = requester?.trim() ? requester.trim() : 'commands without a requester';
        return fail(
          `Rate limit reached for ${who}: ${this.#perRequester} AI tasks per hour. Next slot at ${slotTime(mine, this.#perRequester, this.#windowMs)}.`,
        );
      }
    }
    return pass(undefined);
  }

  /** Records a start now (at the moment the CLI is started). */
  take(requester: string | null): void {
    this.#starts = [...this.#live(), { at: this.#clock.now(), requester }];
  }

  /** The starts still inside the window, oldest first (what to persist). */
  starts(): RateStart[] {
    return this.#live();
  }

  status(): RateLimitStatus {
    const live = this.#live();
    return {
      limit: this.#limit,
      used: live.length,
      window_seconds: Math.round(this.#windowMs / 1000),
      next_slot_at: live.length >= this.#limit && this.#limit > 0 ? slotTime(live, this.#limit, this.#windowMs) : null,
    };
  }

  #live(): RateStart[] {
    const cutoff = this.#clock.now() - this.#windowMs;
    this.#starts = this.#starts.filter((s) => s.at > cutoff);
    return [...this.#starts];
  }
}

/** When the window next has room: the oldest start that must expire, plus the window. ISO, seconds precision. */
function slotTime(live: RateStart[], limit: number, windowMs: number): string {
  const index = Math.max(0, live.length - limit);
  const at = (live[index]?.at ?? 0) + windowMs;
  return `${new Date(at).toISOString().slice(0, 19)}Z`;
}
