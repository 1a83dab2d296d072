/**
 * A small RMM server for development, demos and tests (SPEC §8): accepts agents with a key, acks
 * results (de-duplicated by command id), keeps progress and results, and exposes a loopback HTTP API
 * guarded by a random admin token so no web page on the machine can dispatch commands.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  envelopeSchema,
  outboundPayloadSchemas,
  type AgentStatusPayload,
  type CommandProgressPayload,
  type CommandResultPayload,
  type TaskRecord,
} from '../contracts/wire.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { handleDevApi, sendJson } from './dev-server-api.js';

export interface DevServerOptions {
  port?: number;
  apiKeys: string[];
  logger?: Logger;
  /** Admin token for the HTTP API; random when omitted. */
  adminToken?: string;
}

export interface AgentInfo {
  agent_id: string;
  hostname: string;
  os: string;
  os_version: string;
  agent_version: string;
  capabilities: string[];
  connected: boolean;
  last_heartbeat: string | null;
  status: AgentStatusPayload | null;
}

export interface CommandState {
  id: string;
  agent_id: string;
  payload: Record<string, unknown>;
  progress: CommandProgressPayload[];
  /** Every result frame received, duplicates included (the first one is the result). */
  results: CommandResultPayload[];
  dispatched_at: string;
}

export type Listener = (event: { type: 'progress'; data: CommandProgressPayload } | { type: 'result'; data: CommandResultPayload }) => void;

export class DevServer {
  readonly adminToken: string;
  readonly #opts: DevServerOptions;
  readonly #logger: Logger;
  readonly #agents = new Map<string, { info: AgentInfo; ws: WebSocket | null }>();
  readonly #commands = new Map<string, CommandState>();
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #historyWaiters = new Map<string, ((records: TaskRecord[]) => void)[]>();
  #http: Server | null = null;
  #wss: WebSocketServer | null = null;
  #port = 0;
  #autoAck = true;

  constructor(opts: DevServerOptions) {
    this.#opts = opts;
    this.#logger = opts.logger ?? silentLogger;
    this.adminToken = opts.adminToken ?? randomBytes(24).toString('base64url');
  }

  /** Starts listening on 127.0.0.1 (the given port, or a free one). */
  async start(): Promise<this> {
    const http = createServer((req, res) => {
      handleDevApi(this, req, res).catch((err: unknown) => {
        this.#logger.error('http handler failed', { error: String(err) });
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      });
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
    http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/agent') {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      const key = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      if (!this.#validKey(key)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.#onAgentSocket(ws));
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.#opts.port ?? this.#port, '127.0.0.1', () => resolve());
    });
    this.#http = http;
    this.#wss = wss;
    this.#port = (http.address() as AddressInfo).port;
    return this;
  }

  get port(): number {
    return this.#port;
  }

  /** The URL agents connect to. */
  get agentUrl(): string {
    return `ws://127.0.0.1:${this.#port}/agent`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Stops listening and drops every agent connection; state (agents, commands) is kept for restart(). */
  async stop(): Promise<void> {
    for (const a of this.#agents.values()) {
      a.ws?.terminate();
      a.ws = null;
      a.info.connected = false;
    }
    const http = this.#http;
    this.#http = null;
    this.#wss?.close();
    this.#wss = null;
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }

  /** Stops and listens again on the same port, keeping what it knows (a server restart). */
  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  /** Whether results are acknowledged (off = the agent keeps them in its outbox and re-sends). */
  setAutoAck(on: boolean): void {
    this.#autoAck = on;
  }

  agents(): AgentInfo[] {
    return [...this.#agents.values()].map((a) => ({ ...a.info }));
  }

  /** Waits until an agent is connected and authenticated; resolves with it. */
  async waitForAgent(timeoutMs = 20_000, agentId?: string): Promise<AgentInfo> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.agents().find((a) => a.connected && (!agentId || a.agent_id === agentId));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no agent connected to ${this.agentUrl} within ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  /** Sends a command to an agent; `id` is generated when absent. Returns the command id. */
  dispatch(agentId: string, payload: Record<string, unknown>): string {
    const agent = this.#agents.get(agentId);
    if (!agent?.ws) throw new Error(`agent ${agentId} is not connected`);
    const id = typeof payload.id === 'string' ? payload.id : randomUUID();
    const full = { ...payload, id };
    if (!this.#commands.has(id)) {
      this.#commands.set(id, { id, agent_id: agentId, payload: full, progress: [], results: [], dispatched_at: new Date().toISOString() });
    }
    agent.ws.send(JSON.stringify({ type: 'command', payload: full }));
    return id;
  }

  cancel(commandId: string): boolean {
    const cmd = this.#commands.get(commandId);
    const ws = cmd ? this.#agents.get(cmd.agent_id)?.ws : null;
    if (!ws) return false;
    ws.send(JSON.stringify({ type: 'cancel', payload: { command_id: commandId } }));
    return true;
  }

  /** Sends any text to an agent (for malformed-frame tests). */
  sendRaw(agentId: string, text: string): void {
    const ws = this.#agents.get(agentId)?.ws;
    if (!ws) throw new Error(`agent ${agentId} is not connected`);
    ws.send(text);
  }

  command(commandId: string): CommandState | undefined {
    return this.#commands.get(commandId);
  }

  /** Every result frame received for a command (an exactly-once check looks at its length). */
  results(commandId: string): CommandResultPayload[] {
    return [...(this.#commands.get(commandId)?.results ?? [])];
  }

  /** Resolves with the (first) result of a command as soon as it arrives. */
  waitForResult(commandId: string, timeoutMs = 30_000): Promise<CommandResultPayload> {
    const known = this.#commands.get(commandId)?.results[0];
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`no result for ${commandId} within ${timeoutMs} ms`));
      }, timeoutMs);
      const unsubscribe = this.subscribe(commandId, (e) => {
        if (e.type !== 'result') return;
        clearTimeout(timer);
        unsubscribe();
        resolve(e.data);
      });
    });
  }

  /** Asks an agent for its history and waits for the answer. */
  requestHistory(agentId: string, limit: number, timeoutMs = 10_000): Promise<TaskRecord[]> {
    const ws = this.#agents.get(agentId)?.ws;
    if (!ws) return Promise.reject(new Error(`agent ${agentId} is not connected`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no history answer in time')), timeoutMs);
      const list = this.#historyWaiters.get(agentId) ?? [];
      list.push((records) => {
        clearTimeout(timer);
        resolve(records);
      });
      this.#historyWaiters.set(agentId, list);
      ws.send(JSON.stringify({ type: 'history_request', payload: { limit } }));
    });
  }

  /** Subscribes to a command's progress and result. */
  subscribe(commandId: string, listener: Listener): () => void {
    const set = this.#listeners.get(commandId) ?? new Set<Listener>();
    set.add(listener);
    this.#listeners.set(commandId, set);
    return () => set.delete(listener);
  }

  // ---- agents ----

  #validKey(key: string): boolean {
    const k = Buffer.from(key);
    return this.#opts.apiKeys.some((good) => {
      const g = Buffer.from(good);
      return g.length === k.length && timingSafeEqual(g, k);
    });
  }

  #onAgentSocket(ws: WebSocket): void {
    let agentId: string | null = null;
    const authTimer = setTimeout(() => ws.close(4001, 'no auth'), 15_000);
    ws.on('message', (data) => {
      let frame;
      try {
        frame = envelopeSchema.parse(JSON.parse(data.toString()));
      } catch {
        this.#logger.warn('dropped a frame that is not {type, payload} JSON');
        return;
      }
      if (frame.type === 'auth') {
        const auth = outboundPayloadSchemas.auth.safeParse(frame.payload);
        if (!auth.success || !this.#validKey(auth.data.api_key)) {
          ws.send(JSON.stringify({ type: 'auth_error', payload: { message: 'invalid API key' } }));
          ws.close(4003, 'auth failed');
          return;
        }
        clearTimeout(authTimer);
        agentId = auth.data.agent_id;
        const previous = this.#agents.get(agentId);
        if (previous?.ws && previous.ws !== ws) previous.ws.terminate();
        const { api_key: _secret, ...info } = auth.data;
        this.#agents.set(agentId, {
          ws,
          info: { ...info, connected: true, last_heartbeat: null, status: previous?.info.status ?? null },
        });
        ws.send(JSON.stringify({ type: 'auth_ok', payload: { agent_id: agentId } }));
        this.#logger.info('agent connected', { agentId, hostname: info.hostname });
        return;
      }
      if (!agentId) {
        this.#logger.warn('frame before auth dropped', { type: frame.type });
        return;
      }
      this.#onAgentFrame(agentId, ws, frame.type, frame.payload);
    });
    ws.on('close', () => {
      clearTimeout(authTimer);
      const a = agentId ? this.#agents.get(agentId) : undefined;
      if (a && a.ws === ws) {
        a.ws = null;
        a.info.connected = false;
      }
    });
    ws.on('error', () => undefined);
  }

  #onAgentFrame(agentId: string, ws: WebSocket, type: string, payload: unknown): void {
    const agent = this.#agents.get(agentId);
    if (!agent) return;
    switch (type) {
      case 'heartbeat': {
        const hb = outboundPayloadSchemas.heartbeat.safeParse(payload);
        if (hb.success) agent.info.last_heartbeat = hb.data.timestamp;
        return;
      }
      case 'agent_status': {
        const st = outboundPayloadSchemas.agent_status.safeParse(payload);
        if (st.success) agent.info.status = st.data;
        return;
      }
      case 'command_progress': {
        const p = outboundPayloadSchemas.command_progress.safeParse(payload);
        if (!p.success) return this.#logger.warn('invalid progress frame dropped');
        const cmd = this.#commandFor(p.data.command_id, agentId);
        cmd.progress.push(p.data);
        this.#emit(p.data.command_id, { type: 'progress', data: p.data });
        return;
      }
      case 'command_result': {
        const r = outboundPayloadSchemas.command_result.safeParse(payload);
        if (!r.success) return this.#logger.warn('invalid result frame dropped', { error: r.error.message });
        const cmd = this.#commandFor(r.data.command_id, agentId);
        cmd.results.push(r.data);
        if (cmd.results.length === 1) this.#emit(r.data.command_id, { type: 'result', data: r.data });
        if (this.#autoAck) ws.send(JSON.stringify({ type: 'result_ack', payload: { command_id: r.data.command_id } }));
        return;
      }
      case 'history': {
        const h = outboundPayloadSchemas.history.safeParse(payload);
        const waiters = this.#historyWaiters.get(agentId) ?? [];
        this.#historyWaiters.delete(agentId);
        for (const w of waiters) w(h.success ? h.data.records : []);
        return;
      }
      default:
        this.#logger.info('unknown agent frame type ignored', { type });
    }
  }

  #commandFor(commandId: string, agentId: string): CommandState {
    let cmd = this.#commands.get(commandId);
    if (!cmd) {
      cmd = { id: commandId, agent_id: agentId, payload: {}, progress: [], results: [], dispatched_at: new Date().toISOString() };
      this.#commands.set(commandId, cmd);
    }
    return cmd;
  }

  #emit(commandId: string, event: Parameters<Listener>[0]): void {
    for (const l of this.#listeners.get(commandId) ?? []) l(event);
  }
}

/** Starts a dev server; a convenience for tests and the demo. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  return new DevServer(opts).start();
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
