/**
 * The bridge's implementation over the agent core: one handler per call of the bridge contract. Both
 * hosts use it (the Electron preload's IPC and the console's WebSocket), each after validating the call
 * with `bridgeCallSchema`; the window's `AgentBridge` type is derived from these handlers.
 */
import { bridgeCallSchema, type BridgeCall, type BridgeEvent, type BridgeMethod, type TaskOutput } from '../contracts/bridge.js';
import type { Agent } from '../core/agent.js';
import { summarize } from '../core/snapshot.js';

type CallOf<M extends BridgeMethod> = Extract<BridgeCall, { method: M }>;

/** The handlers, one per method; each takes the validated call. */
export function createBridgeHandlers(agent: Agent) {
  return {
    getSnapshot: () => agent.snapshot(),
    pause: async (c: CallOf<'pause'>) => {
      await agent.pause(c.durationMs, c.alsoStop);
      return true;
    },
    resume: async () => {
      await agent.resume();
      return true;
    },
    stopTask: (c: CallOf<'stopTask'>) => agent.stopTask(c.commandId),
    stopAll: () => agent.stopAll(),
    approve: (c: CallOf<'approve'>) => agent.approve(c.commandId, c.grant ?? false),
    revokeGrant: (c: CallOf<'revokeGrant'>) => agent.revokeGrant(c.requester),
    setShellApproval: (c: CallOf<'setShellApproval'>) => agent.setShellApproval(c.level),
    deny: (c: CallOf<'deny'>) => agent.deny(c.commandId),
    // Summaries: the output of each record is fetched on its own when the user opens it.
    getHistory: (c: CallOf<'getHistory'>) => agent.history(c.limit, c.filter).map(summarize),
    getTaskOutput: (c: CallOf<'getTaskOutput'>): TaskOutput => agent.taskOutput(c.commandId),
    answerAsk: (c: CallOf<'answerAsk'>) => agent.answerAsk(c.askId, c.decision),
  } satisfies { [M in BridgeMethod]: (call: CallOf<M>) => unknown };
}

type Handlers = ReturnType<typeof createBridgeHandlers>;

/** What the window calls: each method takes the call's arguments and answers with its handler's result. */
export type AgentBridge = {
  [M in BridgeMethod]: (args: Omit<CallOf<M>, 'method'>) => Promise<Awaited<ReturnType<Handlers[M]>>>;
} & {
  /** Snapshot changes and progress; returns the function that unsubscribes. */
  subscribe(listener: (event: BridgeEvent) => void): () => void;
};

export type BridgeAnswer = { ok: true; result: unknown } | { ok: false; error: string };

/** Validates a call from the window and runs it; a bad call is refused with the reason, never run. */
export async function runBridgeCall(handlers: Handlers, raw: unknown): Promise<BridgeAnswer> {
  const parsed = bridgeCallSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, error: `invalid call: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(call)'}: ${i.message}`).join('; ')}` };
  }
  const call = parsed.data;
  try {
    const handler = handlers[call.method] as (c: BridgeCall) => unknown;
    return { ok: true, result: await handler(call) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
