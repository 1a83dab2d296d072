/**
 * The views derived from the command log: the ledger (state of each id), the outbox (results not yet
 * acknowledged) and the history (the newest records). Pure, in memory; the store feeds it events.
 */
import type { CommandResultPayload, TaskRecord } from '../contracts/wire.js';
import { resultFromRecord } from '../core/task-record.js';
import type { CommandEvent } from './command-events.js';

interface Entry {
  state: 'running' | 'finished';
  /** Time of the last event: ids are remembered for the retention window after it. */
  at: number;
  record: TaskRecord | null;
  /** The result the server has not acknowledged yet. */
  result: CommandResultPayload | null;
  /** Order of the finish, for re-sending the oldest result first. */
  finishSeq: number;
}

export class CommandViews {
  readonly #keepRecords: number;
  readonly #entries = new Map<string, Entry>();
  #recordCount = 0;
  #seq = 0;

  constructor(keepRecords: number) {
    this.#keepRecords = keepRecords;
  }

  apply(ev: CommandEvent): void {
    const entry = this.#entries.get(ev.id);
    switch (ev.e) {
      case 'start':
      case 'update':
        if (entry?.state === 'finished') return; // a late update never reopens a finished command
        this.#setRecord(ev.id, { state: 'running', at: ev.at, record: ev.record, result: null, finishSeq: 0 });
        return;
      case 'finish':
        this.#setRecord(ev.id, { state: 'finished', at: ev.at, record: ev.record, result: ev.result, finishSeq: ++this.#seq });
        return;
      case 'ack':
        if (entry) entry.result = null;
        return;
      case 'seen':
        if (!entry) this.#entries.set(ev.id, { state: 'finished', at: ev.at, record: null, result: null, finishSeq: 0 });
        return;
    }
  }

  /**
   * A finished record from the history mirror, which is written only after the finish is in the log. The
   * log's own finished record wins. Otherwise the mirror fills in what the log lacks: a record for an id
   * it keeps only as `seen`, or the end of a command whose finish the log lost (a running entry there
   * would be reported interrupted: a second, different result). Such a command counts as acknowledged,
   * as far as anyone can tell. Returns whether the log did not know the id as finished.
   */
  adoptRecord(record: TaskRecord): boolean {
    if (record.status === 'running' || record.status === 'awaiting_approval') return false;
    const entry = this.#entries.get(record.id);
    if (entry?.state === 'finished' && entry.record) return false;
    const knewFinished = entry?.state === 'finished';
    const at = entry?.at ?? (Date.parse(record.finished_at ?? record.received_at) || 0);
    this.#setRecord(record.id, { state: 'finished', at, record, result: entry?.result ?? null, finishSeq: entry?.finishSeq ?? 0 });
    return !knewFinished;
  }

  /** Forgets finished ids older than `cutoff` (keeping any unacknowledged result and the newest records). */
  forgetBefore(cutoff: number): void {
    for (const [id, e] of this.#entries) {
      if (e.state === 'finished' && e.at < cutoff && e.result === null && e.record === null) this.#entries.delete(id);
    }
  }

  state(id: string): 'running' | 'finished' | undefined {
    return this.#entries.get(id)?.state;
  }

  unfinished(): TaskRecord[] {
    return [...this.#entries.values()].filter((e) => e.state === 'running' && e.record).map((e) => e.record!);
  }

  hasPendingResult(id: string): boolean {
    return Boolean(this.#entries.get(id)?.result);
  }

  pendingResults(): CommandResultPayload[] {
    return [...this.#entries.values()]
      .filter((e) => e.result)
      .sort((a, b) => a.finishSeq - b.finishSeq)
      .map((e) => e.result!);
  }

  resultOf(id: string): CommandResultPayload | null {
    const e = this.#entries.get(id);
    if (!e || e.state !== 'finished') return null;
    return e.result ?? (e.record ? resultFromRecord(e.record) : null);
  }

  record(id: string): TaskRecord | undefined {
    return this.#entries.get(id)?.record ?? undefined;
  }

  /** Newest first by arrival. */
  recent(limit: number): TaskRecord[] {
    return this.#records().reverse().slice(0, Math.max(0, Math.min(limit, this.#keepRecords)));
  }

  /** How many events a compacted log would hold. */
  liveEvents(): number {
    return this.#entries.size;
  }

  /**
   * What a compacted log holds: one event per live id in order of arrival (so the history keeps its order
   * when arrival times tie), then the unacknowledged results again in the order they finished (so they
   * are re-sent oldest first).
   */
  snapshotEvents(now: number): CommandEvent[] {
    const out: CommandEvent[] = [];
    for (const [id, e] of this.#entries) {
      if (!e.record) out.push({ e: 'seen', id, at: e.at });
      else if (e.state === 'running') out.push({ e: 'start', id, at: e.at, record: e.record });
      else out.push({ e: 'finish', id, at: e.at || now, record: e.record, result: null });
    }
    const owed = [...this.#entries].filter(([, e]) => e.record && e.result).sort(([, a], [, b]) => a.finishSeq - b.finishSeq);
    for (const [id, e] of owed) out.push({ e: 'finish', id, at: e.at || now, record: e.record!, result: e.result });
    return out;
  }

  #setRecord(id: string, next: Entry): void {
    const prev = this.#entries.get(id);
    if (!prev?.record && next.record) this.#recordCount++;
    // An existing id keeps its place: map order is arrival order.
    if (prev) Object.assign(prev, next);
    else this.#entries.set(id, next);
    if (this.#recordCount > this.#keepRecords + 64) this.#trimRecords();
  }

  /** Puts the ids in order of arrival (after loading events and mirrored records from two files). */
  sortByArrival(): void {
    const sorted = [...this.#entries].sort(([, a], [, b]) => receivedAt(a) - receivedAt(b));
    this.#entries.clear();
    for (const [id, e] of sorted) this.#entries.set(id, e);
    this.#trimRecords();
  }

  #records(): TaskRecord[] {
    return [...this.#entries.values()].flatMap((e) => (e.record ? [e.record] : []));
  }

  /** Only the newest records are kept whole; older ids stay known (never run twice) without their record. */
  #trimRecords(): void {
    if (this.#recordCount <= this.#keepRecords) return;
    const drop = this.#records().slice(0, this.#recordCount - this.#keepRecords);
    for (const r of drop) {
      const e = this.#entries.get(r.id);
      if (!e || e.state === 'running' || e.result) continue;
      e.record = null;
      this.#recordCount--;
    }
  }
}

function receivedAt(e: Entry): number {
  return e.record ? Date.parse(e.record.received_at) || e.at : e.at;
}
