/** The local user's decisions (pause, resume, stop, allow, deny), kept on disk with their times. */
import { z } from 'zod';
import type { Logger } from './logger.js';
import { Journal } from '../store/journal.js';
import type { LocalEvent } from './snapshot.js';

const localEventSchema = z.object({
  at: z.string(),
  action: z.enum(['pause', 'resume', 'stop', 'allow', 'deny']),
  detail: z.string(),
});

const KEEP = 500;

export class LocalEventLog {
  readonly #journal: Journal<LocalEvent>;
  #events: LocalEvent[] = [];

  constructor(path: string, logger: Logger) {
    this.#journal = new Journal(path, localEventSchema, logger);
  }

  load(): void {
    this.#events = this.#journal.readAll().slice(-KEEP);
  }

  async append(event: LocalEvent): Promise<void> {
    this.#events.push(event);
    await this.#journal.append(event);
    if (this.#journal.lineCount > KEEP * 2) {
      this.#events = this.#events.slice(-KEEP);
      await this.#journal.rewrite(this.#events);
    }
  }

  /** Newest first. */
  recent(limit: number): LocalEvent[] {
    return this.#events.slice(-limit).reverse();
  }
}
