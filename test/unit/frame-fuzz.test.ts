import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInboundFrame } from '../../src/contracts/wire.js';

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

function randomValue(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * (depth > 3 ? 6 : 8));
  switch (pick) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return Math.floor(r() * 2e9) - 1e9;
    case 3: return r() * 1e6;
    case 4: return ['', 'shell', 'command', 'claude_task', '💥', '\u0000', 'x'.repeat(Math.floor(r() * 300))][Math.floor(r() * 7)];
    case 5: return ['auth_ok', 'command', 'cancel', 'result_ack', 'history_request', 'auth_error'][Math.floor(r() * 6)];
    case 6: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const keys = ['type', 'payload', 'id', 'command_type', 'command', 'claude_task', 'task', 'timeout_seconds', 'limit', 'command_id', '__proto__', 'constructor'];
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 5); i > 0; i--) o[keys[Math.floor(r() * keys.length)]!] = randomValue(r, depth + 1);
      return o;
    }
  }
}

test('no frame the server can send makes the parser throw (20,000 random frames)', () => {
  const r = rng(20261124);
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const v = randomValue(r);
    let text = JSON.stringify(v) ?? 'undefined';
    if (r() < 0.1) text = text.slice(0, Math.floor(r() * text.length)); // torn frames
    const parsed = parseInboundFrame(text);
    if (parsed.ok) accepted++;
    else assert.equal(typeof parsed.error, 'string');
  }
  assert.ok(accepted < 20_000);
});

test('every frame type is recognised with a valid payload', () => {
  const id = 'c-1';
  const frames = [
    { type: 'auth_ok', payload: { agent_id: 'a' } },
    { type: 'auth_error', payload: { message: 'no' } },
    { type: 'command', payload: { id, command_type: 'python', command: 'print(1)' } },
    { type: 'cancel', payload: { command_id: id } },
    { type: 'result_ack', payload: { command_id: id } },
    { type: 'history_request', payload: { limit: 5 } },
  ];
  for (const f of frames) assert.equal(parseInboundFrame(JSON.stringify(f)).ok, true, f.type);
});
