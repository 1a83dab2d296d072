/** Wall-clock source, injectable so time-dependent policy (rate windows, pauses) is testable. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
