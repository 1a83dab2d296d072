/**
 * An append-only NDJSON journal: one record per line, fsynced per append. A crash mid-append leaves
 * at most a torn last line, which reading skips and the next append cuts away first.
 */
import { readFileSync } from 'node:fs';
import { open, truncate } from 'node:fs/promises';
import type { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { SerialQueue, writeFileAtomic } from './atomic-file.js';

export class Journal<T> {
  readonly #path: string;
  readonly #schema: z.ZodType<T>;
  readonly #logger: Logger;
  readonly #queue = new SerialQueue();
  #lines = 0;
  /** Byte length of the valid prefix (everything up to the last newline), once known. */
  #validBytes: number | null = null;
  #size = 0;

  constructor(path: string, schema: z.ZodType<T>, logger: Logger) {
    this.#path = path;
    this.#schema = schema;
    this.#logger = logger;
  }

  get lineCount(): number {
    return this.#lines;
  }

  /** Every valid record, oldest first; torn or invalid lines are skipped (and logged). */
  readAll(): T[] {
    let buf: Buffer;
    try {
      buf = readFileSync(this.#path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.#validBytes = 0;
      this.#size = 0;
      this.#lines = 0;
      return [];
    }
    const lastNewline = buf.lastIndexOf(0x0a);
    this.#validBytes = lastNewline + 1;
    this.#size = buf.length;
    if (this.#validBytes < buf.length) {
      this.#logger.warn('journal ends in a torn line (an interrupted write); ignoring it', { file: this.#path, bytes: buf.length - this.#validBytes });
    }
    const out: T[] = [];
    let bad = 0;
    const text = buf.subarray(0, this.#validBytes).toString('utf8');
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const parsed = this.#schema.safeParse(JSON.parse(line));
        if (parsed.success) out.push(parsed.data);
        else bad++;
      } catch {
        bad++;
      }
    }
    if (bad > 0) this.#logger.warn('journal had invalid lines; skipped them', { file: this.#path, lines: bad });
    this.#lines = out.length + bad;
    return out;
  }

  /** Appends one record durably. */
  append(record: T): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    return this.#queue.run(async () => {
      if (this.#validBytes === null) this.readAll();
      if (this.#validBytes !== null && this.#validBytes < this.#size) {
        await truncate(this.#path, this.#validBytes);
        this.#size = this.#validBytes;
      }
      const handle = await open(this.#path, 'a', 0o600);
      try {
        await handle.write(line);
        await handle.sync();
      } finally {
        await handle.close();
      }
      const bytes = Buffer.byteLength(line);
      this.#size += bytes;
      this.#validBytes = this.#size;
      this.#lines++;
    });
  }

  /** Replaces the whole journal atomically with `records` (compaction). */
  rewrite(records: T[]): Promise<void> {
    const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    return this.#queue.run(async () => {
      await writeFileAtomic(this.#path, text);
      this.#size = Buffer.byteLength(text);
      this.#validBytes = this.#size;
      this.#lines = records.length;
    });
  }
}
