/**
 * The window's IPC: one channel for calls, validated against the bridge contract and accepted only from
 * the main frame of our window showing `app://gururmm/...`; one channel for the events pushed back.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { runBridgeCall, type BridgeAnswer, type createBridgeHandlers } from '../src/console/bridge-handlers.js';
import type { BridgeEvent } from '../src/contracts/bridge.js';
import type { Agent } from '../src/core/agent.js';
import type { Logger } from '../src/core/logger.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from './channels.js';
import { coalesce } from './coalesce.js';
import { isAppUrl } from './protocol.js';

export type BridgeHandlers = ReturnType<typeof createBridgeHandlers>;
export type SenderCheck = (event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>) => boolean;

const SNAPSHOT_EVERY_MS = 50;
const PROGRESS_CHARS = 4096;
const REFUSED: BridgeAnswer = { ok: false, error: 'Refused: only the GuruRMM Agent window may control the agent.' };

/**
 * The one place a caller is trusted: the top frame of the agent window (whichever `windowContents`
 * returns now), showing one of our own `app://gururmm/` pages.
 */
export function trustAgentWindow(windowContents: () => Pick<WebContents, 'id'> | null): SenderCheck {
  return (event) => {
    const frame = event.senderFrame;
    const contents = windowContents();
    return frame !== null && frame.parent === null && contents !== null && event.sender.id === contents.id && isAppUrl(frame.url);
  };
}

/** Handles `agent:call`; returns the function that removes the handler. */
export function registerBridgeIpc(opts: {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  handlers: BridgeHandlers;
  logger: Logger;
  isTrustedSender: SenderCheck;
}): () => void {
  opts.ipcMain.handle(CALL_CHANNEL, async (event, raw: unknown): Promise<BridgeAnswer> => {
    if (!opts.isTrustedSender(event)) {
      opts.logger.warn('ipc: refused a call from a page that is not the agent window', { url: event.senderFrame?.url ?? null });
      return REFUSED;
    }
    const answer = await runBridgeCall(opts.handlers, raw);
    if (!answer.ok) opts.logger.warn('ipc: a call from the window failed', { error: answer.error });
    return answer;
  });
  return () => opts.ipcMain.removeHandler(CALL_CHANNEL);
}

/**
 * Pushes the agent's changes to the window while it exists: snapshots at most every 50 ms (a burst of
 * changes is one snapshot), progress as it comes. Returns the function that stops pushing.
 */
export function pushAgentEvents(opts: {
  agent: Pick<Agent, 'on' | 'snapshot'>;
  target: () => Pick<WebContents, 'send' | 'isDestroyed'> | null;
  everyMs?: number;
}): () => void {
  const send = (event: BridgeEvent): void => {
    const target = opts.target();
    if (target && !target.isDestroyed()) target.send(EVENT_CHANNEL, event);
  };
  const snapshots = coalesce(opts.everyMs ?? SNAPSHOT_EVERY_MS, () => send({ type: 'snapshot', snapshot: opts.agent.snapshot() }));
  const offChange = opts.agent.on('change', () => {
    if (opts.target()) snapshots.request();
  });
  const offProgress = opts.agent.on('progress', (p) => send({ type: 'progress', commandId: p.commandId, kind: p.kind, data: p.data.slice(-PROGRESS_CHARS) }));
  return () => {
    offChange();
    offProgress();
    snapshots.cancel();
  };
}
