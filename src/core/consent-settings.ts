/**
 * The local user's own consent settings, which can only add to the admin's policy: shell-command
 * approval raised above the policy's level (kept across restarts; an unreadable file means the strictest
 * level), and time-boxed grants that let one technician's AI tasks start without a card (in memory only,
 * ended by a pause or a revoke).
 */
import path from 'node:path';
import { z } from 'zod';
import { JsonState } from '../store/json-state.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { requesterBucket } from '../policy/rate-limiter.js';

export type ShellApproval = 'off' | 'notify' | 'consent';
const LEVELS: ShellApproval[] = ['off', 'notify', 'consent'];
const settingsSchema = z.object({ shellApproval: z.enum(['off', 'notify', 'consent']) });

export class ConsentSettings {
  readonly #policy: ShellApproval;
  readonly #clock: Clock;
  readonly #file: JsonState<z.infer<typeof settingsSchema>>;
  readonly #grants = new Map<string, { requester: string; until: number }>();

  constructor(opts: { dataDir: string; policy: ShellApproval; clock: Clock; logger: Logger }) {
    this.#policy = opts.policy;
    this.#clock = opts.clock;
    this.#file = new JsonState(path.join(opts.dataDir, 'local-settings.json'), settingsSchema, () => ({ shellApproval: 'off' }), opts.logger);
    const found = this.#file.inspect();
    if (found.status === 'ok') this.#file.adopt(found.value);
    else if (found.status === 'missing') this.#file.adopt({ shellApproval: 'off' });
    else {
      // A torn settings file fails safe: every shell command waits for consent until the user changes it.
      opts.logger.error('local-settings.json was unreadable; shell commands wait for the local user\'s consent until they choose again', { keptAs: found.keptAs });
      this.#file.adopt({ shellApproval: 'consent' });
    }
  }

  shellApproval(): { policy: ShellApproval; effective: ShellApproval } {
    const mine = this.#file.get().shellApproval;
    return { policy: this.#policy, effective: LEVELS.indexOf(mine) > LEVELS.indexOf(this.#policy) ? mine : this.#policy };
  }

  /** The user's level; below the policy's it just means "what the policy says". */
  async setShellApproval(level: ShellApproval): Promise<void> {
    await this.#file.set({ shellApproval: level });
  }

  grant(requester: string, minutes: number): void {
    this.#grants.set(requesterBucket(requester), { requester: requester.trim(), until: this.#clock.now() + minutes * 60_000 });
  }

  hasGrant(requester: string | null): boolean {
    if (!requester?.trim()) return false;
    const g = this.#grants.get(requesterBucket(requester));
    return Boolean(g && g.until > this.#clock.now());
  }

  revoke(requester: string): boolean {
    return this.#grants.delete(requesterBucket(requester));
  }

  revokeAll(): void {
    this.#grants.clear();
  }

  grants(): { requester: string; until: string }[] {
    const now = this.#clock.now();
    return [...this.#grants.values()].filter((g) => g.until > now).map((g) => ({ requester: g.requester, until: new Date(g.until).toISOString() }));
  }
}
