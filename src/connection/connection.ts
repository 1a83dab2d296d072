/**
 * The agent's WebSocket session with the RMM server (SPEC §3.1): authenticate, heartbeat, detect dead
 * peers, and reconnect with exponential backoff and full jitter until stopped. Nothing the server
 * sends can throw out of here: every ws event, timer and callback runs guarded, and a session that
 * is dropped is reconnected even when ws never reports it closed.
 */
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket from 'ws';
import { isLoopbackHost } from '../contracts/config.js';
import { parseInboundFrame, type OutboundMessage } from '../contracts/wire.js';
import { Backoff } from './backoff.js';
import type { ConnectionOptions, ConnectionState, ConnectionTiming, InvalidFrame } from './connection-types.js';
import { guarded, GuardedTimers } from './guarded.js';
import { startKeepalive } from './keepalive.js';
import { OversizeTap } from './oversize-tap.js';
import { buildTlsOptions } from './tls-options.js';

export type { ConnectionOptions, ConnectionState, ConnectionTiming, InvalidFrame } from './connection-types.js';

/**
 * Largest inbound message. The largest legitimate one is a command carrying a script: a 256 KiB
 * script in which every character needs a six-byte JSON escape still fits. ws buffers a message
 * whole before it is parsed, so without this bound a few 10 MB frames cost hundreds of MB.
 */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;
/** How long ws gets to report a dropped socket closed before the session is ended without it. */
const CLOSE_GRACE_MS = 1000;

/** One WebSocket and what is known about how it ended. */
interface Session {
  ws: WebSocket;
  detail: string | null;
  oversized: boolean;
  dropped: boolean;
  tap: OversizeTap;
}

export class Connection {
  readonly #opts: ConnectionOptions;
  readonly #timing: Required<Omit<ConnectionTiming, 'backoff'>>;
  readonly #backoff: Backoff;
  #session: Session | null = null;
  #state: ConnectionState = 'offline';
  #authenticated = false;
  #authFailed = false;
  #stopped = true;
  readonly #timers: GuardedTimers;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #keepalive: { pong(): void } | null = null;
  /** Oversized commands whose id could be read; refused once the next session is authenticated. */
  #refusals: InvalidFrame[] = [];

  constructor(opts: ConnectionOptions) {
    this.#opts = opts;
    this.#timing = {
      heartbeatMs: opts.timing?.heartbeatMs ?? 30_000,
      pongTimeoutMs: opts.timing?.pongTimeoutMs ?? 10_000,
      authTimeoutMs: opts.timing?.authTimeoutMs ?? 15_000,
      stableAfterMs: opts.timing?.stableAfterMs ?? 60_000,
    };
    this.#backoff = new Backoff(opts.timing?.backoff ?? {});
    this.#timers = new GuardedTimers(opts.logger);
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
    const ws = this.#session?.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise((resolve) => ws.once('close', resolve));
      guarded(this.#opts.logger, 'stop', () => ws.close(1000, 'agent stopping'))();
      await Promise.race([closed, delay(2000, undefined, { ref: false })]);
      this.#terminate(ws);
    }
    this.#session = null;
    this.#cleanup();
    this.#setState('offline', 'stopped');
  }

  /** Sends a frame if the session is authenticated; returns false (never throws) otherwise. */
  send(msg: OutboundMessage): boolean {
    const ws = this.#session?.ws;
    if (!ws || !this.#authenticated || ws.readyState !== WebSocket.OPEN) return false;
    return this.#safeSend(ws, msg);
  }

  #connect(): void {
    if (this.#stopped || this.#session) return;
    try {
      this.#open();
    } catch (err) {
      this.#opts.logger.error('could not open the connection', { error: String(err) });
      if (this.#session) this.#drop(this.#session, String(err));
      else this.#scheduleReconnect(String(err));
    }
  }

  #open(): void {
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
    const ws = new WebSocket(config.serverUrl, {
      headers: { Authorization: `Bearer ${config.apiKey}` },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: this.#timing.authTimeoutMs,
      perMessageDeflate: false,
      ...(url.protocol === 'wss:' ? buildTlsOptions(config) : {}),
    });
    const s: Session = { ws, detail: null, oversized: false, dropped: false, tap: new OversizeTap(MAX_FRAME_BYTES) };
    this.#session = s;
    // Each handler runs only while its session is current, and a throw in it is logged, never left to ws.
    const on = <A extends unknown[]>(name: string, fn: (...args: A) => void) => guarded(this.#opts.logger, name, (...args: A) => {
      if (s === this.#session) fn(...args);
    });

    // The raw bytes after the handshake, so an oversized command's id can still be read (see OversizeTap).
    ws.on('upgrade', on('upgrade', (res: { socket: NodeJS.EventEmitter }) => {
      res.socket.on('data', guarded(logger, 'tap', (chunk: Buffer) => {
        s.tap.push(chunk);
        // The rest of an oversized message is only read to be thrown away; stop reading it.
        if (s.oversized && s.tap.settled && s === this.#session) this.#drop(s, `a frame larger than ${MAX_FRAME_BYTES} bytes`);
      }));
    }));
    ws.on('open', on('open', () => {
      this.#safeSend(ws, { type: 'auth', payload: this.#opts.buildAuth() });
      this.#timers.after('auth timeout', this.#timing.authTimeoutMs, () => {
        if (this.#authenticated || s !== this.#session) return;
        logger.warn('no answer to auth in time; reconnecting');
        this.#drop(s, 'no answer to authentication');
      });
    }));
    ws.on('unexpected-response', on('unexpected-response', (_req: unknown, res: { statusCode?: number }) => {
      const code = res.statusCode ?? 0;
      if (code === 401 || code === 403) this.#authFailed = true;
      logger.warn('connection refused by the server', { status: code });
      this.#drop(s, code === 401 || code === 403
        ? `authentication failed: the server answered HTTP ${code}`
        : `the server answered HTTP ${code} instead of a WebSocket`);
    }));
    ws.on('message', on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) this.#invalid({ error: 'binary frames are not part of the protocol', commandId: null, type: null });
      else this.#onText(s, String(data));
    }));
    ws.on('pong', on('pong', () => this.#keepalive?.pong()));
    ws.on('error', on('error', (err: Error & { code?: string }) => {
      s.detail ??= err.message;
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') s.oversized = true;
      logger.warn('connection error', { error: err.message });
      // ws closes the socket itself (sending 1009 and the like first); this only bounds the wait.
      this.#timers.after('close wait', CLOSE_GRACE_MS, () => this.#drop(s, s.detail ?? err.message));
    }));
    ws.on('close', on('close', (code: number) => this.#end(s, s.detail ?? `connection closed (${code})`)));
  }

  #onText(s: Session, text: string): void {
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
      this.#keepalive = startKeepalive(this.#timers, {
        heartbeatMs: this.#timing.heartbeatMs,
        pongTimeoutMs: this.#timing.pongTimeoutMs,
        live: () => s === this.#session && s.ws.readyState === WebSocket.OPEN,
        heartbeat: () => this.#safeSend(s.ws, { type: 'heartbeat', payload: { timestamp: new Date().toISOString(), status: this.#opts.heartbeatStatus() } }),
        ping: () => s.ws.ping(),
        onDead: () => {
          if (s !== this.#session) return;
          this.#opts.logger.warn('no pong from the server in time; the connection is dead, reconnecting');
          this.#drop(s, 'no pong from the server in time');
        },
      });
      this.#timers.after('stable', this.#timing.stableAfterMs, () => {
        if (s === this.#session && this.#authenticated) this.#backoff.reset();
      });
      this.#callback(() => this.#opts.onAuthenticated());
      for (const bad of this.#refusals.splice(0)) this.#invalid(bad);
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
      s.ws.close(1000);
      return;
    }
    if (!this.#authenticated) {
      this.#opts.logger.warn('frame before authentication ignored', { type: msg.type });
      return;
    }
    this.#callback(() => this.#opts.onMessage(msg));
  }

  /** Drops a session: terminate() should make ws emit 'close', but the reconnect does not depend on it. */
  #drop(s: Session, detail: string): void {
    if (s.dropped) return;
    s.dropped = true;
    s.detail ??= detail;
    if (s === this.#session) this.#cleanup();
    this.#terminate(s.ws);
    setTimeout(guarded(this.#opts.logger, 'close fallback', () => this.#end(s, s.detail ?? detail)), CLOSE_GRACE_MS);
  }

  /** Ends a session once, whichever of 'close' and the fallback comes first, and schedules the reconnect. */
  #end(s: Session, detail: string): void {
    if (s !== this.#session) return;
    this.#session = null;
    this.#cleanup();
    if (s.oversized) {
      const commandId = s.tap.oversizedCommandId();
      this.#opts.logger.warn(`refused a frame larger than ${MAX_FRAME_BYTES} bytes`, { commandId });
      if (commandId) this.#refusals.push({ error: `the command frame is larger than ${MAX_FRAME_BYTES} bytes`, commandId, type: 'command' });
    }
    if (!this.#stopped) this.#scheduleReconnect(detail);
  }

  #scheduleReconnect(detail: string): void {
    if (this.#reconnectTimer || this.#stopped) return;
    const delay = this.#authFailed ? this.#backoff.atCap() : this.#backoff.next();
    if (this.#authFailed) {
      this.#setState('auth_failed', detail.startsWith('authentication failed') ? detail : `authentication failed: ${detail}`);
    } else {
      this.#setState('offline', detail);
    }
    this.#opts.logger.info('reconnecting later', { inMs: delay, reason: detail });
    this.#reconnectTimer = setTimeout(guarded(this.#opts.logger, 'reconnect', () => {
      this.#reconnectTimer = null;
      this.#connect();
    }), delay);
  }

  #cleanup(): void {
    this.#timers.clear();
    this.#keepalive = null;
    this.#authenticated = false;
  }

  #safeSend(ws: WebSocket, frame: { type: string; payload: unknown }): boolean {
    try {
      ws.send(JSON.stringify({ type: frame.type, payload: frame.payload }));
      return true;
    } catch (err) {
      this.#opts.logger.warn('send failed', { type: frame.type, error: String(err) });
      return false;
    }
  }

  #invalid(bad: InvalidFrame): void {
    this.#callback(() => this.#opts.onInvalidFrame(bad));
  }

  #callback(fn: () => void): void {
    guarded(this.#opts.logger, 'callback', fn)();
  }

  #terminate(ws: WebSocket): void {
    guarded(this.#opts.logger, 'terminate', () => ws.terminate())();
  }

  #setState(state: ConnectionState, detail: string | null): void {
    // Repeated auth failures are reported each time (their detail may change); other repeats are not.
    if (this.#state === state && state !== 'auth_failed') return;
    this.#state = state;
    this.#callback(() => this.#opts.onStateChange(state, detail));
  }
}
