/**
 * Byte-capped capture of a stream: keeps the head and the tail (the end of a log is usually what
 * matters) with a visible marker between them; memory stays O(limit) whatever the child writes.
 */
export class CappedOutput {
  readonly #headLimit: number;
  readonly #tailLimit: number;
  /** Filled as output arrives, never allocated up front: a short command must not cost the whole limit. */
  #head: Buffer[] = [];
  #headLen = 0;
  #tail: Buffer[] = [];
  #tailLen = 0;
  #total = 0;

  constructor(limitBytes: number) {
    const limit = Math.max(2, Math.floor(limitBytes));
    this.#headLimit = Math.floor(limit / 2);
    this.#tailLimit = limit - this.#headLimit;
  }

  get totalBytes(): number {
    return this.#total;
  }

  get truncated(): boolean {
    return this.#total > this.#headLimit + this.#tailLimit;
  }

  /** Bytes held in memory right now (bounded by the limit plus one chunk). */
  get retainedBytes(): number {
    return this.#headLen + this.#tailLen;
  }

  write(chunk: Buffer | string): void {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.#total += buf.length;
    if (this.#headLen < this.#headLimit) {
      const n = Math.min(buf.length, this.#headLimit - this.#headLen);
      this.#head.push(Buffer.from(buf.subarray(0, n)));
      this.#headLen += n;
      buf = buf.subarray(n);
      if (this.#head.length > 64) this.#head = [Buffer.concat(this.#head)];
    }
    if (buf.length === 0) return;
    if (buf.length >= this.#tailLimit) {
      this.#tail = [Buffer.from(buf.subarray(buf.length - this.#tailLimit))];
      this.#tailLen = this.#tailLimit;
      return;
    }
    this.#tail.push(Buffer.from(buf));
    this.#tailLen += buf.length;
    while (this.#tailLen > this.#tailLimit) {
      const first = this.#tail[0]!;
      const excess = this.#tailLen - this.#tailLimit;
      if (first.length <= excess) {
        this.#tail.shift();
        this.#tailLen -= first.length;
      } else {
        this.#tail[0] = first.subarray(excess);
        this.#tailLen -= excess;
      }
    }
    if (this.#tail.length > 64) this.#tail = [Buffer.concat(this.#tail)];
  }

  /** The captured text: everything if it fit, else head + "[... N bytes truncated ...]" + tail. */
  toString(): string {
    const head = Buffer.concat(this.#head, this.#headLen);
    const tail = Buffer.concat(this.#tail, this.#tailLen);
    if (!this.truncated) return Buffer.concat([head, tail]).toString('utf8');
    const headCut = completeUtf8Prefix(head);
    const tailStart = firstCharBoundary(tail);
    const dropped = this.#total - headCut.length - (tail.length - tailStart);
    return `${headCut.toString('utf8')}\n[... ${dropped} bytes truncated ...]\n${tail.subarray(tailStart).toString('utf8')}`;
  }
}

/** The longest prefix of `buf` that does not end inside a UTF-8 sequence. */
function completeUtf8Prefix(buf: Buffer): Buffer {
  let i = buf.length - 1;
  let back = 0;
  while (i >= 0 && back < 4 && (buf[i]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i < 0) return buf;
  const lead = buf[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return buf.length - i >= need ? buf : buf.subarray(0, i);
}

/** Index of the first byte in `buf` that starts a character (skips continuation bytes). */
function firstCharBoundary(buf: Buffer): number {
  let i = 0;
  while (i < buf.length && i < 4 && (buf[i]! & 0xc0) === 0x80) i++;
  return i;
}
