/**
 * Coalesces a command's progress into few frames: consecutive chunks of one kind merge, at most one
 * frame per interval (~10/s), and the total is capped by a byte budget, then one marker and silence.
 */
import type { ProgressKind } from '../contracts/wire.js';

export interface ProgressCoalescerOptions {
  budgetBytes: number;
  intervalMs?: number;
  emit: (kind: ProgressKind, data: string, seq: number) => void;
}

export class ProgressCoalescer {
  readonly #opts: Required<ProgressCoalescerOptions>;
  #pending: { kind: ProgressKind; data: string }[] = [];
  #timer: NodeJS.Timeout | null = null;
  #lastFlush = 0;
  #seq = 0;
  #spent = 0;
  #pendingChars = 0;
  #exhausted = false;
  #closed = false;

  constructor(opts: ProgressCoalescerOptions) {
    this.#opts = { intervalMs: 100, ...opts };
  }

  push(kind: ProgressKind, data: string): void {
    if (this.#closed || this.#exhausted || data.length === 0) return;
    const last = this.#pending.at(-1);
    // Output streams are byte streams; AI-task events are lines of their own and stay separate lines.
    if (last && last.kind === kind) last.data += kind === 'stdout' || kind === 'stderr' || last.data.endsWith('\n') ? data : `\n${data}`;
    else this.#pending.push({ kind, data });
    this.#pendingChars += data.length;
    // Never hold more than the budget in memory, whatever the rate of output.
    if (this.#pendingChars >= this.#opts.budgetBytes - this.#spent) return this.flush();
    const due = this.#lastFlush + this.#opts.intervalMs - Date.now();
    if (due <= 0) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), due);
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#lastFlush = Date.now();
    const items = this.#pending;
    this.#pending = [];
    this.#pendingChars = 0;
    for (const item of items) {
      if (this.#exhausted) return;
      const bytes = Buffer.byteLength(item.data);
      const left = this.#opts.budgetBytes - this.#spent;
      if (bytes <= left) {
        this.#spent += bytes;
        this.#opts.emit(item.kind, item.data, this.#seq++);
        continue;
      }
      const part = Buffer.from(item.data).subarray(0, Math.max(0, left)).toString('utf8').replace(/\uFFFD$/, '');
      if (part) this.#opts.emit(item.kind, part, this.#seq++);
      this.#opts.emit(item.kind, `\n[... progress stopped: ${this.#opts.budgetBytes} bytes sent; the result carries the output ...]\n`, this.#seq++);
      this.#spent = this.#opts.budgetBytes;
      this.#exhausted = true;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
  }
}
