/** One zod-validated JSON document on disk, replaced atomically on every change. */
import { readFileSync, renameSync } from 'node:fs';
import type { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { SerialQueue, writeFileAtomic } from './atomic-file.js';

export class JsonState<T> {
  readonly #path: string;
  readonly #schema: z.ZodType<T>;
  readonly #defaults: () => T;
  readonly #logger: Logger;
  readonly #queue = new SerialQueue();
  #value: T | undefined;

  constructor(path: string, schema: z.ZodType<T>, defaults: () => T, logger: Logger) {
    this.#path = path;
    this.#schema = schema;
    this.#defaults = defaults;
    this.#logger = logger;
  }

  /** Reads the file; a missing file gives the defaults, a corrupt one is set aside (never silently lost). */
  load(): T {
    let text: string;
    try {
      text = readFileSync(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.#value = this.#defaults();
      return this.#value;
    }
    let parsed: z.ZodSafeParseResult<T> | null = null;
    try {
      parsed = this.#schema.safeParse(JSON.parse(text));
    } catch {
      parsed = null;
    }
    if (parsed?.success) {
      this.#value = parsed.data;
      return this.#value;
    }
    const aside = `${this.#path}.corrupt-${Date.now()}`;
    renameSync(this.#path, aside);
    this.#logger.error('state file was unreadable; kept it aside and started from defaults', { file: this.#path, keptAs: aside });
    this.#value = this.#defaults();
    return this.#value;
  }

  get(): T {
    if (this.#value === undefined) return this.load();
    return this.#value;
  }

  /** Replaces the value in memory at once and on disk atomically; calls are written in order. */
  set(value: T): Promise<void> {
    this.#value = value;
    return this.#queue.run(() => writeFileAtomic(this.#path, `${JSON.stringify(value, null, 2)}\n`));
  }
}
