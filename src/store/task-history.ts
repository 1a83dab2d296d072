/** The task records the window and `history` frames show: an append-only journal folded by id. */
import { taskRecordSchema, type TaskRecord } from '../contracts/wire.js';
import type { Logger } from '../core/logger.js';
import { Journal } from './journal.js';

const DEFAULT_KEEP = 1000;

export class TaskHistory {
  readonly #journal: Journal<TaskRecord>;
  readonly #keep: number;
  /** Insertion-ordered by first appearance; Map keeps order so "newest" is cheap. */
  readonly #records = new Map<string, TaskRecord>();

  constructor(path: string, logger: Logger, keep = DEFAULT_KEEP) {
    this.#journal = new Journal(path, taskRecordSchema, logger);
    this.#keep = keep;
  }

  load(): void {
    for (const r of this.#journal.readAll()) this.#records.set(r.id, r);
    this.#trim();
  }

  /** Adds or replaces a record durably; compacts the journal to the newest `keep` when it has grown. */
  async upsert(record: TaskRecord): Promise<void> {
    this.#records.set(record.id, record);
    this.#trim();
    await this.#journal.append(record);
    if (this.#journal.lineCount > this.#keep * 2) await this.#journal.rewrite(this.#sorted());
  }

  get(id: string): TaskRecord | undefined {
    return this.#records.get(id);
  }

  /** Newest first by arrival. */
  recent(limit: number): TaskRecord[] {
    return this.#sorted().reverse().slice(0, Math.max(0, Math.min(limit, this.#keep)));
  }

  #sorted(): TaskRecord[] {
    return [...this.#records.values()].sort((a, b) => (a.received_at < b.received_at ? -1 : a.received_at > b.received_at ? 1 : 0));
  }

  #trim(): void {
    if (this.#records.size <= this.#keep) return;
    const drop = this.#sorted().slice(0, this.#records.size - this.#keep);
    for (const r of drop) this.#records.delete(r.id);
  }
}
