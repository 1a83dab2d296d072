/** Check 7 of SPEC §4.2: the local user's Allow / Deny, with deny on timeout; the UI plugs in through decide(). */
import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.js';

export interface ApprovalRequest {
  commandId: string;
  task: string;
  requestedBy: string | null;
  workingDirectory: string;
  expiresAt: number;
}

export interface ApprovalDecision {
  decision: 'allow' | 'deny';
  by: 'user' | 'timeout' | 'cancel';
  at: number;
}

interface Pending {
  req: ApprovalRequest;
  resolve: (d: ApprovalDecision) => void;
}

export class ApprovalBroker {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Pending>();
  readonly #events = new EventEmitter();

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** Waits for the user's decision; no answer in time, or an abort, is a denial. */
  request(req: Omit<ApprovalRequest, 'expiresAt'>, signal?: AbortSignal): Promise<ApprovalDecision> {
    return new Promise((resolve) => {
      const full: ApprovalRequest = { ...req, expiresAt: this.#clock.now() + this.#timeoutMs };
      const finish = (decision: ApprovalDecision['decision'], by: ApprovalDecision['by']): void => {
        if (this.#pending.get(req.commandId)?.req !== full) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(req.commandId);
        resolve({ decision, by, at: this.#clock.now() });
        this.#events.emit('change');
      };
      const onAbort = (): void => finish('deny', 'cancel');
      const timer = setTimeout(() => finish('deny', 'timeout'), this.#timeoutMs);
      this.#pending.set(req.commandId, { req: full, resolve: (d) => finish(d.decision, d.by) });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#events.emit('change');
    });
  }

  /** The user's answer; false if nothing is waiting under that id. */
  decide(commandId: string, decision: 'allow' | 'deny'): boolean {
    const p = this.#pending.get(commandId);
    if (!p) return false;
    p.resolve({ decision, by: 'user', at: this.#clock.now() });
    return true;
  }

  pending(): ApprovalRequest[] {
    return [...this.#pending.values()].map((p) => p.req);
  }

  on(event: 'change', listener: () => void): void {
    this.#events.on(event, listener);
  }
}
