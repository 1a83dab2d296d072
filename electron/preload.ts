/**
 * The window's whole view of the agent (`window.agent`): the bridge's named calls over one IPC channel,
 * and `subscribe`, which hands the page the event alone (never the IPC event object). Bundled on its own
 * (build/build-preload.mjs) because a sandboxed preload cannot load local modules.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { AgentBridge, BridgeAnswer } from '../src/console/bridge-handlers.js';
import type { BridgeEvent, BridgeMethod } from '../src/contracts/bridge.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from './channels.js';

function method<M extends BridgeMethod>(name: M): AgentBridge[M] {
  const call = async (args?: object): Promise<unknown> => {
    const answer = (await ipcRenderer.invoke(CALL_CHANNEL, { ...args, method: name })) as BridgeAnswer;
    if (!answer.ok) throw new Error(answer.error);
    return answer.result;
  };
  return call as AgentBridge[M];
}

const bridge: AgentBridge = {
  getSnapshot: method('getSnapshot'),
  pause: method('pause'),
  resume: method('resume'),
  stopTask: method('stopTask'),
  stopAll: method('stopAll'),
  approve: method('approve'),
  deny: method('deny'),
  getHistory: method('getHistory'),
  getTaskOutput: method('getTaskOutput'),
  answerAsk: method('answerAsk'),
  revokeGrant: method('revokeGrant'),
  setShellApproval: method('setShellApproval'),
  subscribe(listener) {
    if (typeof listener !== 'function') throw new TypeError('subscribe needs a function.');
    const forward = (_event: IpcRendererEvent, event: BridgeEvent): void => listener(event);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('agent', bridge);
