/**
 * The console's implementation of the bridge (SPEC §8): calls and events over a WebSocket to the page's
 * own origin, where the cookie set with the page carries the token. Every message is validated against
 * the bridge contract before the window sees it; the link reconnects with backoff when it drops.
 */
import { z } from 'zod';
import {
  agentSnapshotSchema, consoleMessageSchema, recordSummarySchema, taskOutputSchema, type BridgeCall, type BridgeEvent, type BridgeMethod,
} from '../src/contracts/bridge.js';
import type { AgentBridge } from '../src/console/bridge-handlers.js';
import type { LinkState } from './view-state.js';

/** The bridge plus, where there is one, the state of the link to the agent (the Electron preload has none). */
export type WindowBridge = AgentBridge & { onLink?(listener: (link: LinkState) => void): () => void };

type ResultOf<M extends BridgeMethod> = Awaited<ReturnType<AgentBridge[M]>>;
type CallOf<M extends BridgeMethod> = Extract<BridgeCall, { method: M }>;

const RESULTS: { [M in BridgeMethod]: z.ZodType<ResultOf<M>> } = {
  getSnapshot: agentSnapshotSchema,
  pause: z.boolean(),
  resume: z.boolean(),
  stopTask: z.boolean(),
  stopAll: z.number().int(),
  approve: z.boolean(),
  deny: z.boolean(),
  getHistory: z.array(recordSummarySchema),
  getTaskOutput: taskOutputSchema,
  answerAsk: z.boolean(),
  revokeGrant: z.boolean(),
  setShellApproval: z.boolean(),
};

const CALL_TIMEOUT_MS = 15_000;
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;
export const DISCONNECTED = 'Disconnected from the agent.';

interface Pending {
  method: BridgeMethod;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: number;
}

/** The bridge URL: the page's own host, with the token the page was opened with (the console uses no cookie). */
function bridgeUrl(): string {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  return `ws://${location.host}/bridge?token=${encodeURIComponent(token)}`;
}

export function createConsoleBridge(url = bridgeUrl()): WindowBridge {
  const pending = new Map<number, Pending>();
  const listeners = new Set<(event: BridgeEvent) => void>();
  const linkListeners = new Set<(link: LinkState) => void>();
  let socket: WebSocket | null = null;
  let link: LinkState = { status: 'connecting', retryAt: null };
  let retryMs = RETRY_FIRST_MS;
  let nextId = 1;

  function setLink(next: LinkState): void {
    link = next;
    for (const l of linkListeners) l(link);
  }

  function connect(): void {
    setLink({ status: 'connecting', retryAt: null });
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      retryMs = RETRY_FIRST_MS;
      setLink({ status: 'open', retryAt: null });
    };
    ws.onmessage = (e: MessageEvent) => receive(e.data);
    ws.onerror = () => undefined;
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      for (const [id, p] of pending) {
        pending.delete(id);
        clearTimeout(p.timer);
        p.reject(new Error(DISCONNECTED));
      }
      const wait = Math.round(retryMs * (0.8 + Math.random() * 0.4));
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      setLink({ status: 'closed', retryAt: Date.now() + wait });
      setTimeout(connect, wait);
    };
  }

  function receive(data: unknown): void {
    if (typeof data !== 'string') return drop('a binary message');
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch {
      return drop('a message that is not JSON');
    }
    const parsed = consoleMessageSchema.safeParse(raw);
    if (!parsed.success) return drop(`an invalid message (${parsed.error.issues[0]?.message ?? 'unknown'})`);
    const msg = parsed.data;
    if ('event' in msg) {
      for (const l of listeners) {
        try {
          l(msg.event);
        } catch (err) {
          console.error('bridge listener failed', err);
        }
      }
      return;
    }
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (!msg.ok) return p.reject(new Error(msg.error));
    const result = RESULTS[p.method].safeParse(msg.result);
    if (result.success) p.resolve(result.data);
    else p.reject(new Error(`The agent's answer to ${p.method} was not understood.`));
  }

  function call<M extends BridgeMethod>(c: CallOf<M>): Promise<ResultOf<M>> {
    return new Promise((resolve, reject) => {
      if (!socket || socket.readyState !== WebSocket.OPEN) return reject(new Error(DISCONNECTED));
      const id = nextId++;
      const timer = window.setTimeout(() => {
        pending.delete(id);
        reject(new Error('The agent did not answer in time.'));
      }, CALL_TIMEOUT_MS);
      pending.set(id, { method: c.method, resolve: resolve as (v: unknown) => void, reject, timer });
      socket.send(JSON.stringify({ id, call: c }));
    });
  }

  connect();
  return {
    getSnapshot: () => call({ method: 'getSnapshot' }),
    pause: (a) => call({ method: 'pause', ...a }),
    resume: () => call({ method: 'resume' }),
    stopTask: (a) => call({ method: 'stopTask', ...a }),
    stopAll: () => call({ method: 'stopAll' }),
    approve: (a) => call({ method: 'approve', ...a }),
    deny: (a) => call({ method: 'deny', ...a }),
    getHistory: (a) => call({ method: 'getHistory', ...a }),
    getTaskOutput: (a) => call({ method: 'getTaskOutput', ...a }),
    answerAsk: (a) => call({ method: 'answerAsk', ...a }),
    revokeGrant: (a) => call({ method: 'revokeGrant', ...a }),
    setShellApproval: (a) => call({ method: 'setShellApproval', ...a }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onLink(listener) {
      linkListeners.add(listener);
      listener(link);
      return () => linkListeners.delete(listener);
    },
  };
}

function drop(what: string): void {
  console.warn(`console bridge: dropped ${what}`);
}
