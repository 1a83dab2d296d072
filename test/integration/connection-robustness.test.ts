import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { Connection, MAX_FRAME_BYTES, type ConnectionOptions, type InvalidFrame } from '../../src/connection/connection.js';
import type { InboundMessage } from '../../src/contracts/wire.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { waitFor } from '../support/wait.js';

const auth = { api_key: 'k', agent_id: 'a', hostname: 'h', os: 'linux', os_version: 'x', agent_version: '0', capabilities: [] };

/** A loopback server that answers every auth with auth_ok and hands each socket to `onAuth`. */
async function server(opts: { autoPong?: boolean; onAuth?: (ws: WebSocket, n: number) => void } = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: opts.autoPong ?? true });
  await new Promise((r) => wss.once('listening', r));
  const closeCodes: number[] = [];
  let auths = 0;
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    ws.on('close', (code) => closeCodes.push(code));
    ws.on('message', (d) => {
      if (JSON.parse(String(d)).type !== 'auth') return;
      ws.send(JSON.stringify({ type: 'auth_ok', payload: {} }));
      auths++;
      opts.onAuth?.(ws, auths);
    });
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/agent`;
  return { url, closeCodes, auths: () => auths, close: () => { for (const c of wss.clients) c.terminate(); wss.close(); } };
}

function connect(url: string, overrides: Partial<ConnectionOptions> = {}) {
  const messages: InboundMessage[] = [];
  const invalid: InvalidFrame[] = [];
  const logger = new MemoryLogger();
  const c = new Connection({
    config: { serverUrl: url, apiKey: 'k', allowInsecure: false },
    logger,
    buildAuth: () => auth,
    onMessage: (m) => messages.push(m),
    onInvalidFrame: (bad) => invalid.push(bad),
    onAuthenticated: () => undefined,
    onStateChange: () => undefined,
    heartbeatStatus: () => 'idle',
    timing: { heartbeatMs: 300, pongTimeoutMs: 500, backoff: { initialMs: 20, maxMs: 100 } },
    ...overrides,
  });
  c.start();
  return { c, messages, invalid, logger };
}

const command = (id: string, extra = ''): string =>
  `{"type":"command","payload":{"id":${JSON.stringify(id)},"command_type":"shell","command":"echo hi"${extra}}}`;

describe('a connection survives hostile frames and throwing handlers', () => {
  test('frames typed as Object.prototype members are ignored; the next command still arrives on the same session', async () => {
    const s = await server({
      onAuth: (ws) => {
        for (const type of Object.getOwnPropertyNames(Object.prototype)) ws.send(JSON.stringify({ type, payload: { id: 'x' } }));
        ws.send(command('after'));
      },
    });
    const { c, messages, invalid } = connect(s.url);
    try {
      await waitFor(() => messages.some((m) => m.type === 'command' && m.payload.id === 'after'), 5000, 'command after the hostile frames');
      assert.ok(invalid.some((b) => b.type === 'constructor' && b.unknownType));
      await new Promise((r) => setTimeout(r, 1200)); // several ping rounds: pongs still flow
      assert.equal(s.auths(), 1, 'never reconnected');
      assert.equal(c.state, 'connected');
    } finally {
      await c.stop();
      s.close();
    }
  });

  test('throws from every callback are logged and dropped; frames keep flowing', async () => {
    let sock: WebSocket | null = null;
    const s = await server({ onAuth: (ws) => { sock = ws; } });
    const seen: string[] = [];
    const boom = (what: string) => () => { seen.push(what); throw new Error(`${what} exploded`); };
    const { c, logger } = connect(s.url, {
      onMessage: (m) => { seen.push(`message ${m.type}`); throw new Error('handler exploded'); },
      onInvalidFrame: boom('invalid'),
      onAuthenticated: boom('authenticated'),
      onStateChange: boom('state'),
      heartbeatStatus: boom('heartbeat'),
    });
    try {
      await waitFor(() => sock !== null, 5000, 'connected');
      for (let i = 0; i < 3; i++) {
        sock!.send('{broken');
        sock!.send(command(`c${i}`));
      }
      await waitFor(() => seen.filter((x) => x === 'message command').length === 3 && seen.includes('heartbeat'), 5000, `seen ${seen.join(',')}`);
      assert.ok(seen.includes('authenticated') && seen.includes('invalid'));
      assert.ok(logger.lines.some((l) => l.level === 'error' && /exploded/.test(JSON.stringify(l.meta))));
      assert.equal(s.auths(), 1);
    } finally {
      await c.stop();
      s.close();
    }
  });

  test('a dead peer is reconnected even when terminate() never makes ws emit close', async () => {
    const s = await server({ autoPong: false });
    const terminate = WebSocket.prototype.terminate;
    WebSocket.prototype.terminate = function () {}; // the socket stays open and 'close' never comes
    const { c, logger } = connect(s.url);
    try {
      await waitFor(() => s.auths() >= 2, 8000, 'reconnected after a dead peer');
      assert.ok(logger.lines.some((l) => /no pong/.test(l.message)));
    } finally {
      WebSocket.prototype.terminate = terminate;
      await c.stop();
      s.close();
    }
  });
});

describe(`frames over ${MAX_FRAME_BYTES} bytes`, () => {
  test('closed with 1009, reconnected, and the command id answered once authenticated again', async () => {
    const s = await server({
      onAuth: (ws, n) => {
        if (n === 1) ws.send(command(' big id ', `,"padding":"${'x'.repeat(MAX_FRAME_BYTES)}"`));
        if (n === 2) {
          // The same again, in fragments that only add up to too much.
          const text = Buffer.from(command('frag', `,"padding":"${'y'.repeat(MAX_FRAME_BYTES)}"`));
          const third = Math.ceil(text.length / 3);
          for (let i = 0; i < 3; i++) ws.send(text.subarray(i * third, (i + 1) * third), { fin: i === 2, binary: false });
        }
      },
    });
    const { c, invalid, messages } = connect(s.url);
    try {
      await waitFor(() => invalid.length >= 2, 10_000, `refusals: ${JSON.stringify(invalid)}`);
      assert.deepEqual(invalid, [
        { error: `the command frame is larger than ${MAX_FRAME_BYTES} bytes`, commandId: ' big id ', type: 'command' },
        { error: `the command frame is larger than ${MAX_FRAME_BYTES} bytes`, commandId: 'frag', type: 'command' },
      ]);
      await waitFor(() => s.closeCodes.length >= 2, 5000);
      assert.deepEqual(s.closeCodes.slice(0, 2), [1009, 1009]);
      assert.equal(messages.length, 0, 'neither oversized command was delivered');
      await waitFor(() => c.state === 'connected', 5000);
      assert.equal(s.auths(), 3);
    } finally {
      await c.stop();
      s.close();
    }
  });
});
