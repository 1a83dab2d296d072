import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import type { AgentBridge } from '../../src/console/bridge-handlers.js';
import type { BridgeEvent } from '../../src/contracts/bridge.js';

/**
 * Runs the preload bundled as build/build-preload.mjs bundles it, the way a sandboxed renderer runs it:
 * a plain script whose `require` offers only what the sandbox offers (here, a fake `electron`).
 */
async function loadPreload(answer: (payload: Record<string, unknown>) => unknown) {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('../../electron/preload.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    external: ['electron'],
    logLevel: 'silent',
  });
  const exposed: Record<string, unknown> = {};
  const invoked: [string, Record<string, unknown>][] = [];
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  const electron = {
    contextBridge: {
      exposeInMainWorld: (key: string, api: unknown) => {
        exposed[key] = api;
      },
    },
    ipcRenderer: {
      invoke: async (channel: string, payload: Record<string, unknown>) => {
        invoked.push([channel, payload]);
        return answer(payload);
      },
      on: (channel: string, fn: (...args: unknown[]) => void) => void (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)!).add(fn),
      removeListener: (channel: string, fn: (...args: unknown[]) => void) => void listeners.get(channel)?.delete(fn),
    },
  };
  const requested: string[] = [];
  const require = (name: string): unknown => {
    requested.push(name);
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require ${name}`);
  };
  vm.runInNewContext(out.outputFiles[0]!.text, { require, module: { exports: {} }, exports: {}, Error, TypeError });
  const emit = (channel: string, ...args: unknown[]) => listeners.get(channel)?.forEach((fn) => fn(...args));
  return { exposed, invoked, listeners, emit, requested };
}

describe('preload', () => {
  let p: Awaited<ReturnType<typeof loadPreload>>;
  before(async () => {
    p = await loadPreload((payload) => (payload.method === 'stopTask' ? { ok: false, error: 'invalid call: commandId: Too small' } : { ok: true, result: `did ${String(payload.method)}` }));
  });

  test('exposes exactly window.agent with the bridge\'s named calls and subscribe, needing nothing but electron', () => {
    assert.deepEqual(Object.keys(p.exposed), ['agent']);
    assert.deepEqual(Object.keys(p.exposed.agent as object).sort(), ['answerAsk', 'approve', 'deny', 'getHistory', 'getSnapshot', 'getTaskOutput', 'pause', 'resume', 'revokeGrant', 'setShellApproval', 'stopAll', 'stopTask', 'subscribe']);
    assert.deepEqual([...p.requested], ['electron']);
  });

  test('a call goes over agent:call as { method, ...args }; the page cannot pick another method', async () => {
    const agent = p.exposed.agent as AgentBridge;
    assert.equal(await agent.pause({ durationMs: 900_000, alsoStop: false }), 'did pause');
    await agent.approve({ commandId: 'c1', method: 'stopAll' } as never);
    // The bundle runs in another realm: compare plain copies.
    assert.deepEqual(JSON.parse(JSON.stringify(p.invoked.slice(0, 2))), [
      ['agent:call', { durationMs: 900_000, alsoStop: false, method: 'pause' }],
      ['agent:call', { commandId: 'c1', method: 'approve' }],
    ]);
  });

  test('a refused call rejects with the reason', async () => {
    const agent = p.exposed.agent as AgentBridge;
    await assert.rejects(agent.stopTask({ commandId: '' }), /invalid call: commandId/);
  });

  test('subscribe hands the listener the event alone, never the IPC event, and unsubscribes', () => {
    const agent = p.exposed.agent as AgentBridge;
    const got: unknown[][] = [];
    const off = agent.subscribe((...args: unknown[]) => got.push(args));
    const event: BridgeEvent = { type: 'progress', commandId: 'c1', kind: 'text', data: 'hi' };
    const ipcEvent = { sender: { send: () => undefined }, ports: [] };
    p.emit('agent:event', ipcEvent, event);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.length, 1);
    assert.equal(got[0]![0], event);
    off();
    p.emit('agent:event', ipcEvent, event);
    assert.equal(got.length, 1);
    assert.equal(p.listeners.get('agent:event')?.size, 0);
    assert.throws(() => agent.subscribe('alert(1)' as never), /needs a function/);
  });
});
