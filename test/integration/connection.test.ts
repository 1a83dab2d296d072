import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { Connection, type ConnectionState } from '../../src/connection/connection.js';
import { spkiSha256 } from '../../src/connection/tls-options.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { startDevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir } from '../support/agent-process.js';
import { waitFor } from '../support/wait.js';

const tmp = makeTempDir('conn-');
after(() => tmp.cleanup());

const auth = { api_key: 'k', agent_id: 'a', hostname: 'h', os: 'linux', os_version: 'x', agent_version: '0', capabilities: [] };

function listening(wss: WebSocketServer): Promise<WebSocketServer> {
  return new Promise((resolve) => wss.once('listening', () => resolve(wss)));
}

function connection(config: Record<string, unknown>, timing: Record<string, unknown> = {}) {
  const states: ConnectionState[] = [];
  const invalid: string[] = [];
  const logger = new MemoryLogger();
  const c = new Connection({
    config: { serverUrl: '', apiKey: 'k', allowInsecure: false, ...config } as never,
    logger,
    buildAuth: () => auth,
    onMessage: () => undefined,
    onInvalidFrame: (bad) => invalid.push(bad.error),
    onAuthenticated: () => undefined,
    onStateChange: (s) => states.push(s),
    heartbeatStatus: () => 'idle',
    timing: { heartbeatMs: 300, pongTimeoutMs: 500, backoff: { initialMs: 50, maxMs: 400 }, ...timing },
  });
  return { c, states, invalid, logger };
}

describe('connection (plain ws on loopback)', () => {
  test('Authorization header and auth frame; auth_ok connects; heartbeats flow; bad frames are reported, not fatal', async () => {
    const wss = await listening(new WebSocketServer({ port: 0, host: '127.0.0.1' }));
    const seen: { header?: string; frames: { type: string; payload: Record<string, unknown> }[] } = { frames: [] };
    wss.on('connection', (ws: WebSocket, req) => {
      seen.header = req.headers.authorization;
      ws.on('message', (d) => {
        const f = JSON.parse(d.toString());
        seen.frames.push(f);
        if (f.type === 'auth') {
          ws.send(JSON.stringify({ type: 'auth_ok', payload: { agent_id: 'a' } }));
          ws.send('not json');
          ws.send(JSON.stringify({ type: 'mystery', payload: {} }));
        }
      });
    });
    const port = (wss.address() as AddressInfo).port;
    const { c, states, invalid } = connection({ serverUrl: `ws://127.0.0.1:${port}/agent` });
    c.start();
    try {
      await waitFor(() => c.state === 'connected', 5000);
      assert.equal(seen.header, 'Bearer k');
      assert.deepEqual(seen.frames[0], { type: 'auth', payload: auth });
      await waitFor(() => seen.frames.some((f) => f.type === 'heartbeat'), 3000, 'heartbeat');
      assert.deepEqual(invalid, ['frame is not valid JSON', 'unknown frame type "mystery"']);
      assert.deepEqual(states.slice(0, 2), ['connecting', 'connected']);
    } finally {
      await c.stop();
      wss.close();
    }
  });

  test('auth_error: "auth failed" state, and no hammering: the retry waits near the cap', async () => {
    const wss = await listening(new WebSocketServer({ port: 0, host: '127.0.0.1' }));
    const attempts: number[] = [];
    wss.on('connection', (ws: WebSocket) => {
      attempts.push(Date.now());
      ws.on('message', () => {
        ws.send(JSON.stringify({ type: 'auth_error', payload: { message: 'bad key' } }));
        ws.close();
      });
    });
    const { c } = connection({ serverUrl: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/agent` }, { backoff: { initialMs: 10, maxMs: 1000 } });
    c.start();
    try {
      await waitFor(() => attempts.length >= 2, 5000);
      assert.equal(c.state === 'auth_failed' || c.state === 'connecting', true);
      assert.ok(attempts[1]! - attempts[0]! >= 450, `retried after ${attempts[1]! - attempts[0]!} ms`);
    } finally {
      await c.stop();
      wss.close();
    }
  });

  test('a server that answers the upgrade with HTTP 401 is an authentication failure', async () => {
    const server = await startDevServer({ apiKeys: ['right'] });
    const { c, states } = connection({ serverUrl: server.agentUrl, apiKey: 'wrong' });
    c.start();
    try {
      await waitFor(() => states.includes('auth_failed'), 5000, `states: ${states.join(',')}`);
      assert.equal(server.agents().length, 0);
    } finally {
      await c.stop();
      await server.stop();
    }
  });

  test('a peer that stops answering pings is detected as dead and reconnected', async () => {
    const wss = await listening(new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false }));
    let connections = 0;
    wss.on('connection', (ws: WebSocket) => {
      connections++;
      ws.on('message', () => ws.send(JSON.stringify({ type: 'auth_ok', payload: {} })));
    });
    const { c } = connection({ serverUrl: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/agent` });
    c.start();
    try {
      await waitFor(() => connections >= 2, 8000, 'reconnected after a dead peer');
    } finally {
      await c.stop();
      wss.close();
    }
  });

  test('send() is false while offline', () => {
    const { c } = connection({ serverUrl: 'ws://127.0.0.1:1/agent' });
    assert.equal(c.send({ type: 'heartbeat', payload: { timestamp: '', status: '' } }), false);
  });
});

describe('connection over wss:// with CA file and pinning', () => {
  const key = path.join(tmp.dir, 'key.pem');
  const cert = path.join(tmp.dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-days', '2'], { stdio: 'ignore' });

  async function tlsServer(): Promise<{ url: string; authFrames: () => number; close: () => void }> {
    const https = createServer({ key: readFileSync(key), cert: readFileSync(cert) });
    const wss = new WebSocketServer({ server: https });
    let auths = 0;
    wss.on('connection', (ws: WebSocket) => ws.on('message', (d) => {
      if (JSON.parse(d.toString()).type !== 'auth') return;
      auths++;
      ws.send(JSON.stringify({ type: 'auth_ok', payload: {} }));
    }));
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    return { url: `wss://127.0.0.1:${(https.address() as AddressInfo).port}/agent`, authFrames: () => auths, close: () => { wss.close(); https.close(); https.closeAllConnections(); } };
  }

  test('caFile: connects; unknown CA: refused', async () => {
    const s = await tlsServer();
    const good = connection({ serverUrl: s.url, caFile: cert });
    const bad = connection({ serverUrl: s.url });
    good.c.start();
    bad.c.start();
    try {
      await waitFor(() => good.c.state === 'connected', 5000);
      await new Promise((r) => setTimeout(r, 500));
      assert.notEqual(bad.c.state, 'connected');
      assert.equal(s.authFrames(), 1, 'only the verified connection sent auth');
    } finally {
      await good.c.stop();
      await bad.c.stop();
      s.close();
    }
  });

  test('a matching pin connects; a wrong pin never sends the API key', async () => {
    const s = await tlsServer();
    const pin = spkiSha256(readFileSync(cert, 'utf8'));
    const good = connection({ serverUrl: s.url, caFile: cert, serverCertificateSha256: pin });
    good.c.start();
    try {
      await waitFor(() => good.c.state === 'connected', 5000);
    } finally {
      await good.c.stop();
    }
    const before = s.authFrames();
    const wrong = connection({ serverUrl: s.url, caFile: cert, serverCertificateSha256: 'ab'.repeat(32) });
    wrong.c.start();
    try {
      await new Promise((r) => setTimeout(r, 1000));
      assert.notEqual(wrong.c.state, 'connected');
      assert.equal(s.authFrames(), before, 'the impostor never received the auth frame');
      assert.ok(wrong.logger.lines.some((l) => /pin mismatch/.test(`${l.message} ${JSON.stringify(l.meta)}`)));
    } finally {
      await wrong.c.stop();
      s.close();
    }
  });
});
