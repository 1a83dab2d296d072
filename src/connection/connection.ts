/**
 * The agent's WebSocket session with the RMM server (SPEC §3.1): authenticate, heartbeat, detect dead
 * peers, and reconnect with exponential backoff and full jitter until stopped. Nothing the server
 * sends can throw out of here.
 */
import WebSocket from 'ws';
import { isLoopbackHost, type AgentConfig } from '../contracts/config.js';
import { parseInboundFrame, type AuthPayload, type InboundMessage, type OutboundMessage } from '../contracts/wire.js';
import type { Logger } from '../core/logger.js';
import { Backoff } from './backoff.js';
import { buildTlsOptions } from './tls-options.js';

export type ConnectionState = 'connecting' | 'connected' | 'offline' | 'auth_failed';

export interface InvalidFrame {
  error: string;
  commandId: string | null;
  type: string | null;
  unknownType?: boolean;
}

export interface ConnectionTiming {
  heartbeatMs?: number;
  pongTimeoutMs?: number;
  authTimeoutMs?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  stableAfterMs?: number;
}

export interface ConnectionOptions {
  config: Pick<AgentConfig, 'serverUrl' | 'apiKey' | 'allowInsecure' | 'caFile' | 'serverCertificateSha256'>;
  logger: Logger;
  buildAuth: () => AuthPayload;
  onMessage: (msg: InboundMessage) => void;
  onInvalidFrame: (bad: InvalidFrame) => void;
  onAuthenticated: () => void;
  onStateChange: (state: ConnectionState, detail: string | null) => void;
  heartbeatStatus: () => string;
  timing?: ConnectionTiming;
}

const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class Connection {
  readonly #opts: ConnectionOptions;
  readonly #timing: Required<Omit<ConnectionTiming, 'backoff'>>;
  readonly #backoff: Backoff;
  #ws: WebSocket | null = null;
  #state: ConnectionState = 'offline';
  #authenticated = false;
  #authFailed = false;
  #stopped = true;
  #timers = new Set<NodeJS.Timeout>();
  #reconnectTimer: NodeJS.Timeout | null = null;
  #pongTimer: NodeJS.Timeout | null = null;

  constructor(opts: ConnectionOptions) {
    this.#opts = opts;
    this.#timing = {
      heartbeatMs: opts.timing?.heartbeatMs ?? 30_000,
      pongTimeoutMs: opts.timing?.pongTimeoutMs ?? 10_000,
      authTimeoutMs: opts.timing?.authTimeoutMs ?? 15_000,
      stableAfterMs: opts.timing?.stableAfterMs ?? 60_000,
    };
    this.#backoff = new Backoff(opts.timing?.backoff ?? {});
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get serverUrl(): string {
    return this.#opts.config.serverUrl;
  }

  /** Connects and keeps reconnecting until stop(). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  /** Closes the session cleanly and cancels every timer. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const ws = this.#ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2000);
        ws.once('close', () => {
          clearTimeout(force);
          resolve();
        });
        ws.close(1000, 'agent stopping');
      });
    }
    this.#cleanup();
    this.#setState('offline', 'stopped');
  }

  /** Sends a frame if the session is authenticated; returns false (never throws) otherwise. */
  send(msg: OutboundMessage): boolean {
    const ws = this.#ws;
    if (!ws || !this.#authenticated || ws.readyState !== WebSocket.OPEN) return false;
    try {
      ws.send(JSON.stringify({ type: msg.type, payload: msg.payload }));
      return true;
    } catch (err) {
      this.#opts.logger.warn('send failed', { type: msg.type, error: String(err) });
      return false;
    }
  }

  #connect(): void {
    if (this.#stopped) return;
    const { config, logger } = this.#opts;
    const url = new URL(config.serverUrl);
    if (url.protocol === 'ws:' && !config.allowInsecure && !isLoopbackHost(url.hostname)) {
      logger.error('refusing an unencrypted ws:// connection to a non-loopback host; use wss:// or set allowInsecure');
      this.#setState('offline', 'ws:// to a remote host is not allowed');
      return;
    }
    this.#authenticated = false;
    this.#authFailed = false;
    this.#setState('connecting', null);
    let ws: WebSocket;
    try {
      ws = new WebSocket(config.serverUrl, {
        headers: { Authorization: `Bearer ${config.apiKey}` },
        maxPayload: MAX_FRAME_BYTES,
        handshakeTimeout: this.#timing.authTimeoutMs,
        perMessageDeflate: false,
        ...(url.protocol === 'wss:' ? buildTlsOptions(config) : {}),
      });
    } catch (err) {
      logger.error('could not open the connection', { error: String(err) });
      this.#scheduleReconnect(String(err));
      return;
    }
    this.#ws = ws;
    let closeDetail: string | null = null;

    ws.on('open', () => {
      this.#safeSend(ws, { type: 'auth', payload: this.#opts.buildAuth() });
      this.#after(this.#timing.authTimeoutMs, () => {
        if (!this.#authenticated && ws === this.#ws) {
          logger.warn('no answer to auth in time; reconnecting');
          closeDetail = 'no answer to authentication';
          ws.terminate();
        }
      });
    });
    ws.on('unexpected-response', (_req, res) => {
      const code = res.statusCode ?? 0;
      if (code === 401 || code === 403) {
        this.#authFailed = true;
        closeDetail = `authentication failed: the server answered HTTP ${code}`;
      } else {
        closeDetail = `the server answered HTTP ${code} instead of a WebSocket`;
      }
      logger.warn('connection refused by the server', { status: code });
      ws.terminate();
    });
    ws.on('message', (data, isBinary) => {
      if (ws !== this.#ws) return;
      if (isBinary) {
        this.#invalid({ error: 'binary frames are not part of the protocol', commandId: null, type: null });
        return;
      }
      this.#onText(ws, data.toString());
    });
    ws.on('pong', () => {
      if (this.#pongTimer) clearTimeout(this.#pongTimer);
      this.#pongTimer = null;
    });
    ws.on('error', (err) => {
      closeDetail ??= err.message;
      logger.warn('connection error', { error: err.message });
    });
    ws.on('close', (code) => {
      if (ws !== this.#ws) return;
      this.#cleanup();
      if (this.#stopped) return;
      this.#scheduleReconnect(closeDetail ?? `connection closed (${code})`);
    });
  }

  #onText(ws: WebSocket, text: string): void {
    const parsed = parseInboundFrame(text);
    if (!parsed.ok) {
      this.#invalid(parsed);
      return;
    }
    const msg = parsed.message;
    if (msg.type === 'auth_ok') {
      if (this.#authenticated) return;
      this.#authenticated = true;
      this.#setState('connected', null);
      this.#opts.logger.info('connected and authenticated', { server: this.serverUrl });
      this.#startKeepalive(ws);
      this.#after(this.#timing.stableAfterMs, () => {
        if (ws === this.#ws && this.#authenticated) this.#backoff.reset();
      });
      this.#callback(() => this.#opts.onAuthenticated());
      return;
    }
    if (msg.type === 'auth_error') {
      // Only an answer to our auth counts; a server revoking a key closes the session and refuses the next auth.
      if (this.#authenticated) {
        this.#opts.logger.warn('auth_error after authentication ignored');
        return;
      }
      this.#authFailed = true;
      this.#opts.logger.error('authentication failed', { message: msg.payload.message });
      this.#setState('auth_failed', `authentication failed: ${msg.payload.message}`);
      ws.close(1000);
      return;
    }
    if (!this.#authenticated) {
      this.#opts.logger.warn('frame before authentication ignored', { type: msg.type });
      return;
    }
    this.#callback(() => this.#opts.onMessage(msg));
  }

  #startKeepalive(ws: WebSocket): void {
    const beat = (): void => {
      if (ws !== this.#ws || ws.readyState !== WebSocket.OPEN) return;
      this.#safeSend(ws, {
        type: 'heartbeat',
        payload: { timestamp: new Date().toISOString(), status: this.#opts.heartbeatStatus() },
      });
    };
    const ping = (): void => {
      if (ws !== this.#ws || ws.readyState !== WebSocket.OPEN || this.#pongTimer) return;
      try {
        ws.ping();
      } catch {
        return;
      }
      this.#pongTimer = setTimeout(() => {
        this.#pongTimer = null;
        if (ws !== this.#ws) return;
        this.#opts.logger.warn('no pong from the server in time; the connection is dead, reconnecting');
        ws.terminate();
      }, this.#timing.pongTimeoutMs);
    };
    const heartbeat = setInterval(beat, this.#timing.heartbeatMs);
    const pinger = setInterval(ping, Math.max(1000, Math.floor(this.#timing.heartbeatMs / 2)));
    this.#timers.add(heartbeat);
    this.#timers.add(pinger);
  }

  #scheduleReconnect(detail: string): void {
    const delay = this.#authFailed ? this.#backoff.atCap() : this.#backoff.next();
    if (this.#authFailed) {
      this.#setState('auth_failed', detail.startsWith('authentication failed') ? detail : `authentication failed: ${detail}`);
    } else {
      this.#setState('offline', detail);
    }
    this.#opts.logger.info('reconnecting later', { inMs: delay, reason: detail });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delay);
  }

  #cleanup(): void {
    for (const t of this.#timers) {
      clearTimeout(t);
      clearInterval(t);
    }
    this.#timers.clear();
    if (this.#pongTimer) clearTimeout(this.#pongTimer);
    this.#pongTimer = null;
    this.#authenticated = false;
  }

  #after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #safeSend(ws: WebSocket, frame: { type: string; payload: unknown }): void {
    try {
      ws.send(JSON.stringify(frame));
    } catch (err) {
      this.#opts.logger.warn('send failed', { type: frame.type, error: String(err) });
    }
  }

  #invalid(bad: InvalidFrame): void {
    this.#callback(() => this.#opts.onInvalidFrame(bad));
  }

  #callback(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#opts.logger.error('error while handling a frame (connection kept)', { error: String(err) });
    }
  }

  #setState(state: ConnectionState, detail: string | null): void {
    // Repeated auth failures are reported each time (their detail may change); other repeats are not.
    if (this.#state === state && state !== 'auth_failed') return;
    this.#state = state;
    this.#callback(() => this.#opts.onStateChange(state, detail));
  }
}
