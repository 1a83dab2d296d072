/**
 * The console (SPEC §8): the window's renderer served on 127.0.0.1 to a browser, with the bridge over a
 * WebSocket. Every HTTP and WebSocket request must carry the token and name this loopback host; every call
 * is validated against the bridge contract. Snapshots are pushed when the agent changes (at most every
 * 50 ms) and progress as it comes.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { consoleRequestSchema, type BridgeEvent } from '../contracts/bridge.js';
import type { Agent } from '../core/agent.js';
import type { Logger } from '../core/logger.js';
import { createBridgeHandlers, runBridgeCall } from './bridge-handlers.js';
import { hostAllowed, newConsoleToken, originAllowed, securityHeaders, tokenAllowed, withTokenLinks } from './console-guard.js';

const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/styles.css': 'styles.css',
};
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const SNAPSHOT_EVERY_MS = 50;
/** A call is a few hundred bytes; anything larger is not the window talking. */
const MAX_MESSAGE_BYTES = 64 * 1024;

export interface ConsoleServer {
  url: string;
  port: number;
  /** How many windows are connected (asks for the local user are denied at once when there are none). */
  clients(): number;
  close(): Promise<void>;
}

export async function startConsoleServer(opts: { agent: Agent; port: number; rendererDir: string; logger: Logger; token?: string }): Promise<ConsoleServer> {
  const token = opts.token ?? newConsoleToken();
  const handlers = createBridgeHandlers(opts.agent);
  let port = 0;
  const http: Server = createServer((req, res) => void serveStatic(req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const headers = securityHeaders(port);
    const deny = (status: number, text: string): void => {
      res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${text}\n`);
    };
    if (!hostAllowed(req.headers.host, port) || !originAllowed(req.headers.origin, port, false)) return deny(403, 'Forbidden: this console answers only on its loopback address.');
    if (!tokenAllowed(url, token)) return deny(401, 'Unauthorized: open the console with the URL the agent printed (it holds the token).');
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(405, 'Method not allowed.');
    const file = STATIC[url.pathname];
    if (!file) return deny(404, 'Not found.');
    let body: Buffer;
    try {
      body = await readFile(path.join(opts.rendererDir, file));
    } catch {
      return deny(500, 'The console page is missing from this build.');
    }
    if (file === 'index.html') body = Buffer.from(withTokenLinks(body.toString('utf8'), token));
    res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const ok = url.pathname === '/bridge' && hostAllowed(req.headers.host, port) && originAllowed(req.headers.origin, port, true) && tokenAllowed(url, token);
    if (!ok) {
      opts.logger.warn('console: refused a WebSocket', { host: req.headers.host, origin: req.headers.origin });
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveBridge(ws));
  });

  function serveBridge(ws: WebSocket): void {
    const send = (msg: unknown): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    const push = (event: BridgeEvent): void => send({ event });
    let snapshotTimer: NodeJS.Timeout | null = null;
    const onChange = (): void => {
      snapshotTimer ??= setTimeout(() => {
        snapshotTimer = null;
        push({ type: 'snapshot', snapshot: opts.agent.snapshot() });
      }, SNAPSHOT_EVERY_MS);
    };
    const offChange = opts.agent.on('change', onChange);
    const detachWindow = opts.agent.attachWindow();
    const offProgress = opts.agent.on('progress', (p) => push({ type: 'progress', commandId: p.commandId, kind: p.kind, data: p.data.slice(-4096) }));
    push({ type: 'snapshot', snapshot: opts.agent.snapshot() });
    ws.on('message', (data) => {
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString());
      } catch {
        opts.logger.warn('console: dropped a message that is not JSON');
        return;
      }
      const req = consoleRequestSchema.safeParse(raw);
      const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : null;
      if (!req.success) {
        opts.logger.warn('console: refused an invalid call', { error: req.error.issues[0]?.message });
        if (id !== null) send({ id, ok: false, error: `invalid call: ${req.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
        return;
      }
      void runBridgeCall(handlers, req.data.call).then((answer) => send({ id: req.data.id, ...answer }));
    });
    ws.on('close', () => {
      detachWindow();
      offChange();
      offProgress();
      if (snapshotTimer) clearTimeout(snapshotTimer);
    });
    ws.on('error', () => undefined);
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, '127.0.0.1', () => resolve());
  });
  port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;
  return {
    url,
    port,
    clients: () => wss.clients.size,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => {
        http.close(() => r());
        http.closeAllConnections();
      });
    },
  };
}
