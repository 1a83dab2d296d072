/** One zod-validated JSON document on disk, replaced atomically on every change. */
import { readFileSync, renameSync } from 'node:fs';
import type { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { SerialQueue, writeFileAtomic } from './atomic-file.js';

/** What a read found: the document, no file, or a file that is not a valid document (set aside, or left in place). */
export type Inspection<T> =
  | { status: 'ok'; value: T }
  | { status: 'missing' }
  | { status: 'corrupt'; keptAs: string | null };

export class JsonState<T> {
  readonly path: string;
  readonly #schema: z.ZodType<T>;
  readonly #defaults: () => T;
  readonly #logger: Logger;
  readonly #queue = new SerialQueue();
  #value: T | undefined;

  constructor(path: string, schema: z.ZodType<T>, defaults: () => T, logger: Logger) {
    this.path = path;
    this.#schema = schema;
    this.#defaults = defaults;
    this.#logger = logger;
  }

  /**
   * Reads the file without deciding what a missing or corrupt one means; the caller does, then `adopt`s a value.
   * A corrupt file is renamed to `<file>.corrupt-<ms>` unless `setAside` is false. Read errors other than
   * ENOENT (permissions, I/O) are thrown: a file the agent cannot read is not the same as no file.
   */
  inspect(opts: { setAside?: boolean } = {}): Inspection<T> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
      throw err;
    }
    let parsed: z.ZodSafeParseResult<T> | null = null;
    try {
      parsed = this.#schema.safeParse(JSON.parse(text));
    } catch {
      parsed = null;
    }
    if (parsed?.success) return { status: 'ok', value: parsed.data };
    return { status: 'corrupt', keptAs: opts.setAside === false ? null : this.setAside() };
  }

  /** Renames the file to `<file>.corrupt-<ms>` (kept for a human to look at, never silently lost); returns that name. */
  setAside(): string {
    const keptAs = `${this.path}.corrupt-${Date.now()}`;
    renameSync(this.path, keptAs);
    return keptAs;
  }

  /** Takes `value` as the current document without writing it. */
  adopt(value: T): T {
    this.#value = value;
    return value;
  }

  /** Reads the file; a missing file gives the defaults, a corrupt one is set aside (never silently lost). */
  load(): T {
    const found = this.inspect();
    if (found.status === 'ok') return this.adopt(found.value);
    if (found.status === 'corrupt') {
      this.#logger.error('state file was unreadable; kept it aside and started from defaults', { file: this.path, keptAs: found.keptAs });
    }
    return this.adopt(this.#defaults());
  }

  get(): T {
    if (this.#value === undefined) return this.load();
    return this.#value;
  }

  /** Replaces the value in memory at once and on disk atomically; calls are written in order. */
  set(value: T): Promise<void> {
    this.#value = value;
    return this.#queue.run(() => writeFileAtomic(this.path, `${JSON.stringify(value, null, 2)}\n`));
  }
}
