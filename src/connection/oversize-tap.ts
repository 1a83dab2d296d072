/**
 * ws refuses a message longer than `maxPayload` from its frame header alone (close 1009) and never
 * hands over any of its bytes, so the command id it carried would be lost and the technician would
 * wait for a result forever. This tap watches the same socket bytes, keeps the first few KB of the
 * first message over the limit, and reads the command id from them, so it can still be refused.
 */
import { commandIdSchema } from '../contracts/wire.js';

/** Enough for `{"type":"command","payload":{"id":"..."` with room for fields sent before the id. */
const HEAD_BYTES = 8 * 1024;

export class OversizeTap {
  readonly #limit: number;
  #header = Buffer.alloc(0);
  /** Payload bytes of the current frame not seen yet. */
  #remaining = 0;
  #mask: Buffer | null = null;
  #masked = 0;
  /** Whether the current frame's payload belongs to the message head being kept. */
  #keep = false;
  #messageLength = 0;
  #head: Buffer[] = [];
  #headLength = 0;
  #oversized = false;
  #done = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Feeds raw bytes as they arrive from the server (after the HTTP upgrade). Never throws. */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.#done) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, chunk.length - at);
        if (this.#keep) this.#keepBytes(chunk.subarray(at, at + n));
        this.#remaining -= n;
        at += n;
        continue;
      }
      const need = this.#headerLength();
      const take = Math.min(need - this.#header.length, chunk.length - at);
      this.#header = Buffer.concat([this.#header, chunk.subarray(at, at + take)]);
      at += take;
      if (this.#header.length === this.#headerLength()) this.#startFrame();
    }
  }

  /** True once a message over the limit has been seen and its first bytes kept: nothing more to read. */
  get settled(): boolean {
    return this.#done;
  }

  /** The id of the first message over the limit, where its first bytes name one; else null. */
  oversizedCommandId(): string | null {
    if (!this.#oversized) return null;
    return commandIdFromHead(Buffer.concat(this.#head).toString('utf8'));
  }

  /** Bytes the header needs: 2, then 2/8 more for the extended length, then 4 for a mask. */
  #headerLength(): number {
    if (this.#header.length < 2) return 2;
    const len7 = this.#header[1]! & 0x7f;
    const masked = (this.#header[1]! & 0x80) !== 0;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  #startFrame(): void {
    const h = this.#header;
    this.#header = Buffer.alloc(0);
    const fin = (h[0]! & 0x80) !== 0;
    const opcode = h[0]! & 0x0f;
    const len7 = h[1]! & 0x7f;
    const length = len7 === 126 ? h.readUInt16BE(2) : len7 === 127 ? h.readUInt32BE(2) * 2 ** 32 + h.readUInt32BE(6) : len7;
    this.#mask = (h[1]! & 0x80) !== 0 ? h.subarray(h.length - 4) : null;
    this.#masked = 0;
    this.#remaining = length;
    if (opcode >= 0x8) {
      this.#keep = false;
      return;
    }
    if (opcode !== 0x0) this.#resetMessage();
    this.#messageLength += length;
    if (this.#messageLength > this.#limit) this.#oversized = true;
    // Only a message that is (or may become) too long is worth copying.
    this.#keep = (this.#oversized || !fin) && this.#headLength < HEAD_BYTES;
    if (this.#oversized && !this.#keep) this.#done = true;
    if (fin && !this.#oversized) this.#resetMessage();
  }

  #resetMessage(): void {
    this.#messageLength = 0;
    this.#head = [];
    this.#headLength = 0;
  }

  #keepBytes(bytes: Buffer): void {
    const part = Buffer.from(bytes.subarray(0, HEAD_BYTES - this.#headLength));
    if (this.#mask) for (let i = 0; i < part.length; i++) part[i]! ^= this.#mask[(this.#masked + i) % 4]!;
    this.#masked += bytes.length;
    this.#head.push(part);
    this.#headLength += part.length;
    if (this.#headLength >= HEAD_BYTES) {
      this.#keep = false;
      if (this.#oversized) this.#done = true;
    }
  }
}

/**
 * Reads the command id from the first bytes of a frame: the first `"id":"..."`, provided the frame
 * does not name a type other than `command` before it.
 */
export function commandIdFromHead(head: string): string | null {
  const idMatch = /"id"\s*:\s*("(?:[^"\\]|\\.){1,1200}")/.exec(head);
  if (!idMatch) return null;
  const type = /"type"\s*:\s*"([^"\\]{0,64})"/.exec(head);
  if (type && type.index < idMatch.index && type[1] !== 'command') return null;
  let id: unknown;
  try {
    id = JSON.parse(idMatch[1]!);
  } catch {
    return null;
  }
  const parsed = commandIdSchema.safeParse(id);
  return parsed.success ? parsed.data : null;
}
