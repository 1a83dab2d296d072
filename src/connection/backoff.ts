/** Exponential backoff with full jitter: delay = random(0, min(cap, initial * 2^attempt)). */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(opts: { initialMs?: number; maxMs?: number; random?: () => number } = {}) {
    this.#initialMs = opts.initialMs ?? 1000;
    this.#maxMs = opts.maxMs ?? 60_000;
    this.#random = opts.random ?? Math.random;
  }

  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call doubles the ceiling up to the cap. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.floor(this.#random() * ceiling);
  }

  /** A delay near the cap, for failures that retrying soon cannot fix (authentication). */
  atCap(): number {
    this.#attempt = Math.max(this.#attempt, 30);
    return Math.floor(this.#maxMs / 2 + (this.#random() * this.#maxMs) / 2);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
