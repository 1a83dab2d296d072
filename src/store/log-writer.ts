/**
 * An append-only file written with group commit: appends that arrive while a write is under way are
 * written together by the next one, with one `fdatasync` for all of them. A short write is continued;
 * a failed write is cut back to the last whole line before anything else is appended, and every append
 * of that batch is rejected loudly.
 */
import { open, truncate, type FileHandle } from 'node:fs/promises';

interface Pending {
  line: Buffer;
  durable: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class LogWriter {
  readonly #path: string;
  #handle: FileHandle | null = null;
  /** Bytes of whole lines on disk: where the next write goes. */
  #size: number;
  #pending: Pending[] = [];
  /** Every write and every exclusive job runs on this chain, one after another. */
  #chain: Promise<void> = Promise.resolve();
  #scheduled = false;
  #closed = false;

  /** `size` is the length of the valid prefix (whole lines) the caller read; anything after it is cut first. */
  constructor(path: string, size: number) {
    this.#path = path;
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Appends one line (the newline is added). `durable` appends resolve once the line is on disk; the
   * others once written (an fsync later, or a crash, may still lose them: use for what may be repeated).
   */
  append(text: string, durable = true): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`the log ${this.#path} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ line: Buffer.from(`${text}\n`), durable, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        this.#chain = this.#chain.then(() => this.#flushAll());
      }
    });
  }

  /** Waits for every append made so far, then closes the file. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.exclusive(async () => null);
    await this.#handle?.close().catch(() => undefined);
    this.#handle = null;
  }

  /**
   * Runs `fn` with no write under way or starting (e.g. a compaction that replaces the file). When it
   * returns a size, the file was replaced and holds that many bytes of whole lines.
   */
  exclusive(fn: () => Promise<number | null>): Promise<void> {
    const job = this.#chain.then(async () => {
      const size = await fn();
      if (size === null) return;
      await this.#handle?.close().catch(() => undefined);
      this.#handle = null;
      this.#size = size;
    });
    this.#chain = job.catch(() => undefined);
    return job;
  }

  async #flushAll(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        await this.#writeBatch(batch);
      }
    } finally {
      this.#scheduled = false;
    }
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    const data = Buffer.concat(batch.map((p) => p.line));
    try {
      const handle = await this.#file();
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written, this.#size + written);
        if (bytesWritten <= 0) throw new Error('the disk accepted no more bytes');
        written += bytesWritten;
      }
      if (batch.some((p) => p.durable)) await handle.datasync();
      this.#size += data.length;
      for (const p of batch) p.resolve();
    } catch (err) {
      // Whatever part of the batch reached the file is cut away, so the file ends with a whole line.
      await this.#cutBack();
      const error = new Error(`could not append to ${this.#path}; the records were not stored: ${(err as Error).message}`, { cause: err });
      for (const p of batch) p.reject(error);
    }
  }

  async #file(): Promise<FileHandle> {
    if (this.#handle) return this.#handle;
    const handle = await open(this.#path, 'a+', 0o600);
    const { size } = await handle.stat();
    if (size > this.#size) await handle.truncate(this.#size);
    else this.#size = size;
    this.#handle = handle;
    return handle;
  }

  async #cutBack(): Promise<void> {
    try {
      if (this.#handle) await this.#handle.truncate(this.#size);
      else await truncate(this.#path, this.#size);
    } catch {
      // The next write truncates first (#file compares sizes after a reopen).
      await this.#handle?.close().catch(() => undefined);
      this.#handle = null;
    }
  }
}
