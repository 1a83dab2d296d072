/**
 * Asks the local user about one action an AI task wants to take (SPEC §5 "Approve each action"): Allow
 * once, Deny, or Deny and stop the task; no answer within `claude.askTimeoutSeconds` is a denial, and so
 * is a stop of the task while it waits.
 */
import { randomUUID } from 'node:crypto';
import type { AskView } from '../contracts/bridge.js';
import type { Clock } from './clock.js';

export type AskDecision = 'allow' | 'deny' | 'deny-and-stop';
export interface AskOutcome {
  decision: AskDecision;
  by: 'user' | 'timeout' | 'cancel';
  at: number;
}

interface Pending {
  view: AskView;
  finish: (decision: AskDecision, by: AskOutcome['by']) => void;
}

export class AskBroker {
  readonly #clock: Clock;
  readonly #pending = new Map<string, Pending>();
  readonly #onChange: () => void;

  constructor(clock: Clock, onChange: () => void) {
    this.#clock = clock;
    this.#onChange = onChange;
  }

  ask(view: Omit<AskView, 'askId' | 'expiresAt'>, timeoutMs: number, signal: AbortSignal): Promise<AskOutcome> {
    return new Promise((resolve) => {
      const askId = randomUUID();
      const full: AskView = { ...view, askId, expiresAt: new Date(this.#clock.now() + timeoutMs).toISOString() };
      const finish = (decision: AskDecision, by: AskOutcome['by']): void => {
        if (!this.#pending.delete(askId)) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve({ decision, by, at: this.#clock.now() });
        this.#onChange();
      };
      const onAbort = (): void => finish('deny', 'cancel');
      const timer = setTimeout(() => finish('deny', 'timeout'), timeoutMs);
      this.#pending.set(askId, { view: full, finish });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#onChange();
    });
  }

  /** The local user's answer; false when nothing waits under that id. */
  answer(askId: string, decision: AskDecision): boolean {
    const p = this.#pending.get(askId);
    if (!p) return false;
    p.finish(decision, 'user');
    return true;
  }

  pending(): AskView[] {
    return [...this.#pending.values()].map((p) => p.view);
  }

  waitingCommandIds(): string[] {
    return [...new Set(this.pending().map((v) => v.commandId))];
  }
}
