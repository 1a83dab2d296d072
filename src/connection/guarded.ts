/** Event handlers and timers that cannot throw: a throw is logged and dropped, never left to ws or the process. */
import type { Logger } from '../core/logger.js';

/** Wraps `fn` so that a throw from it (or from the logger) is logged and goes no further. */
export function guarded<A extends unknown[]>(logger: Logger, what: string, fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      try {
        logger.error(`error in the connection's ${what} handler; dropped`, { error: String(err) });
      } catch {
        // A logger that throws must not take the connection down with it.
      }
    }
  };
}

/** Guarded timers that can all be cancelled at once when a session ends. */
export class GuardedTimers {
  readonly #logger: Logger;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  after(what: string, ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(guarded(this.#logger, what, () => {
      this.#timers.delete(t);
      fn();
    }), ms);
    this.#timers.add(t);
    return t;
  }

  every(what: string, ms: number, fn: () => void): void {
    this.#timers.add(setInterval(guarded(this.#logger, what, fn), ms));
  }

  cancel(t: NodeJS.Timeout | null): void {
    if (!t) return;
    clearTimeout(t);
    this.#timers.delete(t);
  }

  clear(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
