/**
 * An append-only NDJSON journal: one record per line, fsynced per append. A crash or a failed
 * append (disk full, I/O error) leaves at most a torn last line, which reading skips and the next
 * append cuts away first, so a record that was acknowledged is never lost behind a broken line.
 */
import { constants, readFileSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { SerialQueue, writeFileAtomic } from './atomic-file.js';

const NEWLINE = Buffer.from('\n');

export class Journal<T> {
  readonly #path: string;
  readonly #schema: z.ZodType<T>;
  readonly #logger: Logger;
  readonly #queue = new SerialQueue();
  #lines = 0;
  /** Byte length of the valid prefix (every complete record), once known. */
  #validBytes: number | null = null;
  /** The file's size as last known; larger than #validBytes while a torn tail waits to be cut. */
  #size = 0;
  /** The valid prefix ends in a complete record that lacks its newline. */
  #unterminated = false;

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
      this.#unterminated = false;
      return [];
    }
    const out: T[] = [];
    let bad = 0;
    let end = buf.lastIndexOf(0x0a) + 1;
    for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
      if (!line) continue;
      const record = this.#parse(line);
      if (record === undefined) bad++;
      else out.push(record);
    }
    // A whole record missing only its newline was fully written (a JSON object cannot be cut short
    // and still parse), so it is kept; anything else after the last newline is a torn write.
    const tail = end < buf.length ? this.#parse(buf.subarray(end).toString('utf8')) : undefined;
    this.#unterminated = tail !== undefined;
    if (tail !== undefined) {
      out.push(tail);
      end = buf.length;
    } else if (end < buf.length) {
      this.#logger.warn('journal ends in a torn line (an interrupted write); ignoring it', { file: this.#path, bytes: buf.length - end });
    }
    if (bad > 0) this.#logger.warn('journal had invalid lines; skipped them', { file: this.#path, lines: bad });
    this.#validBytes = end;
    this.#size = buf.length;
    this.#lines = out.length + bad;
    return out;
  }

  /**
   * Appends one record durably. Resolves only once the whole line is on disk; otherwise rejects
   * and the record counts as not stored (its partial bytes are cut before the next append).
   */
  append(record: T): Promise<void> {
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    return this.#queue.run(async () => {
      if (this.#validBytes === null) this.readAll();
      const start = this.#validBytes ?? 0;
      const data = this.#unterminated ? Buffer.concat([NEWLINE, line]) : line;
      try {
        await this.#writeAt(start, data);
      } catch (err) {
        // How much reached the file is unknown; an unknown size forces the cut before the next append.
        this.#size = await stat(this.#path).then((s) => s.size, () => Number.POSITIVE_INFINITY);
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(`could not append to journal ${this.#path}; the record was not stored: ${reason}`, { cause: err });
      }
      this.#validBytes = start + data.length;
      this.#size = this.#validBytes;
      this.#unterminated = false;
      this.#lines++;
    });
  }

  /**
   * Replaces the whole journal atomically with `records` (compaction). Compaction only saves space:
   * if it fails the journal stays as it was, still holding every record, so this logs and resolves false.
   */
  rewrite(records: T[]): Promise<boolean> {
    const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    return this.#queue.run(async () => {
      try {
        await writeFileAtomic(this.#path, text);
      } catch (err) {
        this.#logger.warn('could not compact the journal; it is kept as it was', { file: this.#path, error: String(err) });
        // The rename may or may not have happened: the file is read again before the next append.
        this.#validBytes = null;
        return false;
      }
      this.#size = Buffer.byteLength(text);
      this.#validBytes = this.#size;
      this.#unterminated = false;
      this.#lines = records.length;
      return true;
    });
  }

  /** Writes `data` at `start`, first cutting whatever lies beyond it, and fsyncs. */
  async #writeAt(start: number, data: Buffer): Promise<void> {
    // Not O_APPEND: the position must be the end of the valid prefix, never the end of a torn tail.
    const handle = await open(this.#path, constants.O_WRONLY | constants.O_CREAT, 0o600);
    try {
      if (this.#size > start) await handle.truncate(start);
      this.#size = start;
      let done = 0;
      while (done < data.length) {
        // A short write (the disk filled up mid-line) is retried from where it stopped.
        const { bytesWritten } = await handle.write(data, done, data.length - done, start + done);
        if (bytesWritten <= 0) throw new Error('the disk accepted no bytes');
        done += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  #parse(line: string): T | undefined {
    try {
      const parsed = this.#schema.safeParse(JSON.parse(line));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
