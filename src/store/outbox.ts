/** Results waiting for the server's `result_ack`: one durable file per result, removed on ack. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { commandResultPayloadSchema, type CommandResultPayload } from '../contracts/wire.js';
import type { Logger } from '../core/logger.js';
import { ensurePrivateDir, fsyncDirSync, SerialQueue, writeFileAtomic } from './atomic-file.js';

interface Entry {
  result: CommandResultPayload;
  queuedAt: number;
}

export class Outbox {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #entries = new Map<string, Entry>();
  readonly #queue = new SerialQueue();
  #seq = 0;

  constructor(dir: string, logger: Logger) {
    this.#dir = dir;
    this.#logger = logger;
  }

  /** Reads every stored result; unreadable files are set aside as `*.corrupt`. */
  load(): void {
    ensurePrivateDir(this.#dir);
    for (const name of readdirSync(this.#dir)) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.#dir, name);
      try {
        const raw = JSON.parse(readFileSync(file, 'utf8')) as { queued_at?: unknown; result?: unknown };
        const result = commandResultPayloadSchema.parse(raw.result);
        this.#entries.set(result.command_id, { result, queuedAt: typeof raw.queued_at === 'number' ? raw.queued_at : 0 });
      } catch (err) {
        renameSync(file, `${file}.corrupt`);
        this.#logger.error('outbox file was unreadable; kept it aside', { file, error: String(err) });
      }
    }
  }

  /** Stores a result durably (before it is ever sent). */
  put(result: CommandResultPayload): Promise<void> {
    const entry = { result, queuedAt: Date.now() * 1000 + (this.#seq++ % 1000) };
    this.#entries.set(result.command_id, entry);
    return this.#queue.run(() =>
      writeFileAtomic(this.#fileFor(result.command_id), JSON.stringify({ queued_at: entry.queuedAt, result })),
    );
  }

  /** Forgets an acknowledged result; acknowledging twice is harmless. */
  remove(commandId: string): Promise<void> {
    if (!this.#entries.delete(commandId)) return Promise.resolve();
    return this.#queue.run(async () => {
      try {
        await unlink(this.#fileFor(commandId));
        fsyncDirSync(this.#dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    });
  }

  get(commandId: string): CommandResultPayload | undefined {
    return this.#entries.get(commandId)?.result;
  }

  /** Pending results, oldest first. */
  list(): CommandResultPayload[] {
    return [...this.#entries.values()].sort((a, b) => a.queuedAt - b.queuedAt).map((e) => e.result);
  }

  #fileFor(commandId: string): string {
    return path.join(this.#dir, `${createHash('sha256').update(commandId).digest('hex')}.json`);
  }
}
