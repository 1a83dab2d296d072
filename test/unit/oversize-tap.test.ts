import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commandIdFromHead, OversizeTap } from '../../src/connection/oversize-tap.js';

/** One WebSocket frame as a server writes it (unmasked unless a mask is given). */
function frame(opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: Buffer } = {}): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = ((opts.fin ?? true) ? 0x80 : 0) | opcode;
  if (len >= 126 && len < 65536) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[1] = 127;
    head.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    head.writeUInt32BE(len % 2 ** 32, 6);
  }
  if (!opts.mask) return Buffer.concat([head, payload]);
  head[1]! |= 0x80;
  return Buffer.concat([head, opts.mask, Buffer.from(payload.map((b, i) => b ^ opts.mask![i % 4]!))]);
}

const command = (id: string, size: number): Buffer =>
  Buffer.from(`{"type":"command","payload":{"id":${JSON.stringify(id)},"command_type":"shell","command":"${'x'.repeat(size)}"}}`);

/** Feeds bytes in pieces of `piece` bytes, as TCP might deliver them. */
function feed(tap: OversizeTap, bytes: Buffer, piece: number): void {
  for (let i = 0; i < bytes.length; i += piece) tap.push(bytes.subarray(i, i + piece));
}

describe('OversizeTap reads the id of a message ws refuses for its size', () => {
  test('small frames are not oversized; the one over the limit gives its id, in any chunking', () => {
    for (const piece of [1, 7, 1000, 1 << 20]) {
      const tap = new OversizeTap(1000);
      const stream = Buffer.concat([
        frame(1, command('small-1', 10)),
        frame(0x9, Buffer.from('ping')),
        frame(1, command('medium', 500)),
        frame(1, command('big "one"', 70_000)),
        frame(1, command('after', 5000)),
      ]);
      feed(tap, stream.subarray(0, 20), piece);
      assert.equal(tap.oversizedCommandId(), null);
      feed(tap, stream.subarray(20), piece);
      assert.equal(tap.oversizedCommandId(), 'big "one"', `piece ${piece}`);
    }
  });

  test('a fragmented message that grows past the limit is caught with the id from its first fragment', () => {
    const tap = new OversizeTap(1000);
    const body = command('frag-id', 3000);
    tap.push(frame(1, command('whole', 100)));
    tap.push(frame(1, body.subarray(0, 600), { fin: false }));
    tap.push(frame(0xa, Buffer.from('pong')));
    assert.equal(tap.oversizedCommandId(), null);
    tap.push(frame(0, body.subarray(600, 1200), { fin: false }));
    tap.push(frame(0, body.subarray(1200)));
    assert.equal(tap.oversizedCommandId(), 'frag-id');
  });

  test('masked frames are unmasked; the id is read exactly, spaces included', () => {
    const tap = new OversizeTap(100);
    tap.push(frame(1, command(' job ', 500), { mask: Buffer.from([1, 2, 3, 4]) }));
    assert.equal(tap.oversizedCommandId(), ' job ');
  });

  test('a 64-bit length header is understood', () => {
    const tap = new OversizeTap(1000);
    tap.push(frame(1, command('huge', 70_000)).subarray(0, 5000));
    assert.equal(tap.oversizedCommandId(), 'huge');
  });
});

describe('commandIdFromHead', () => {
  test('takes the first id of a command; not from other frame types; not an empty or over-long id', () => {
    assert.equal(commandIdFromHead('{"type":"command","payload":{"id":"a\\"b","command":"x'), 'a"b');
    assert.equal(commandIdFromHead('{"payload":{"id" : "p-1","command":"'), 'p-1');
    assert.equal(commandIdFromHead('{"type":"history","payload":{"id":"h"'), null);
    assert.equal(commandIdFromHead('{"type":"command","payload":{"id":"","command":"'), null);
    assert.equal(commandIdFromHead(`{"type":"command","payload":{"id":"${'i'.repeat(201)}"`), null);
    assert.equal(commandIdFromHead('{"type":"command","payload":{"command":"xxxxxxxx'), null);
  });
});
