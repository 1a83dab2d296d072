import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { createBridgeHandlers } from '../../src/console/bridge-handlers.js';
import type { BridgeEvent } from '../../src/contracts/bridge.js';
import type { Agent, AgentEvents } from '../../src/core/agent.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { TypedEmitter } from '../../src/core/typed-emitter.js';
import { pushAgentEvents, registerBridgeIpc, trustAgentWindow } from '../../electron/ipc.js';

type Invoke = (event: IpcMainInvokeEvent, raw: unknown) => Promise<unknown>;

class FakeIpcMain {
  readonly handlers = new Map<string, Invoke>();
  handle(channel: string, fn: Invoke): void {
    assert.ok(!this.handlers.has(channel), `${channel} handled twice`);
    this.handlers.set(channel, fn);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  call(event: unknown, raw: unknown): Promise<unknown> {
    const fn = this.handlers.get('agent:call');
    assert.ok(fn, 'agent:call is not handled');
    return fn(event as IpcMainInvokeEvent, raw);
  }
}

class FakeAgent extends TypedEmitter<AgentEvents> {
  readonly calls: unknown[][] = [];
  snapshots = 0;
  snapshot(): unknown {
    this.snapshots++;
    return { n: this.snapshots };
  }
  async pause(durationMs: number | null, alsoStop?: boolean): Promise<void> {
    this.calls.push(['pause', durationMs, alsoStop]);
  }
  stopTask(id: string): boolean {
    this.calls.push(['stopTask', id]);
    return true;
  }
  fire<K extends keyof AgentEvents & string>(event: K, ...args: AgentEvents[K]): void {
    this.emit(event, ...args);
  }
}

const WINDOW_ID = 7;
const page = (url: string, over: { parent?: unknown; senderId?: number; frame?: null } = {}) => ({
  sender: { id: over.senderId ?? WINDOW_ID },
  senderFrame: over.frame === null ? null : { url, parent: over.parent ?? null },
});

describe('agent:call', () => {
  let ipc: FakeIpcMain;
  let agent: FakeAgent;
  let logger: MemoryLogger;
  let windowOpen: boolean;
  let dispose: () => void;
  beforeEach(() => {
    ipc = new FakeIpcMain();
    agent = new FakeAgent();
    logger = new MemoryLogger();
    windowOpen = true;
    const isTrustedSender = trustAgentWindow(() => (windowOpen ? ({ id: WINDOW_ID } as WebContents) : null));
    dispose = registerBridgeIpc({ ipcMain: ipc, handlers: createBridgeHandlers(agent as unknown as Agent), logger, isTrustedSender });
  });

  test('a call from our window runs and answers with the result', async () => {
    assert.deepEqual(await ipc.call(page('app://gururmm/index.html'), { method: 'pause', durationMs: 900_000, alsoStop: false }), { ok: true, result: true });
    assert.deepEqual(await ipc.call(page('app://gururmm/index.html#recent'), { method: 'stopTask', commandId: 'c1' }), { ok: true, result: true });
    assert.deepEqual(agent.calls, [['pause', 900_000, false], ['stopTask', 'c1']]);
  });

  test('a call that does not fit the contract is refused with the reason, logged, and never run', async () => {
    for (const raw of [{ method: 'pause', durationMs: -5, alsoStop: false }, { method: 'exec', command: 'rm -rf /' }, { method: 'stopTask' }, 'pause', null]) {
      const answer = (await ipc.call(page('app://gururmm/index.html'), raw)) as { ok: boolean; error?: string };
      assert.equal(answer.ok, false, JSON.stringify(raw));
      assert.match(answer.error!, /^invalid call/);
    }
    assert.deepEqual(agent.calls, []);
    assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 5);
  });

  test('only the main frame of our window showing app://gururmm/ may call', async () => {
    const refused = [
      page('https://evil.example/'),
      page('file:///home/user/evil.html'),
      page('app://evil/index.html'),
      page('app://gururmm.evil/index.html'),
      page('http://gururmm/index.html'),
      page('not a url'),
      page('app://gururmm/index.html', { parent: { url: 'app://gururmm/index.html' } }),
      page('app://gururmm/index.html', { senderId: WINDOW_ID + 1 }),
      page('app://gururmm/index.html', { frame: null }),
    ];
    for (const event of refused) {
      const answer = (await ipc.call(event, { method: 'stopAll' })) as { ok: boolean; error: string };
      assert.equal(answer.ok, false, JSON.stringify(event));
      assert.match(answer.error, /only the GuruRMM Agent window/);
    }
    windowOpen = false;
    assert.equal(((await ipc.call(page('app://gururmm/index.html'), { method: 'stopAll' })) as { ok: boolean }).ok, false);
    assert.deepEqual(agent.calls, []);
    const warnings = logger.lines.filter((l) => l.message.includes('not the agent window'));
    assert.equal(warnings.length, refused.length + 1);
    assert.equal(warnings[0]!.meta?.url, 'https://evil.example/');
  });

  test('disposing removes the handler', () => {
    dispose();
    assert.equal(ipc.handlers.size, 0);
  });
});

describe('agent:event', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  function setup() {
    const agent = new FakeAgent();
    const sent: [string, BridgeEvent][] = [];
    const target = { destroyed: false, send: (channel: string, event: BridgeEvent) => sent.push([channel, event]), isDestroyed: () => target.destroyed };
    let open = true;
    const stop = pushAgentEvents({ agent: agent as unknown as Agent, target: () => (open ? target : null) });
    return { agent, sent, target, stop, close: () => (open = false) };
  }

  test('a burst of changes is one snapshot, at most every 50 ms', () => {
    const { agent, sent } = setup();
    for (let i = 0; i < 10; i++) agent.fire('change');
    assert.equal(sent.length, 0);
    mock.timers.tick(50);
    assert.deepEqual(sent, [['agent:event', { type: 'snapshot', snapshot: { n: 1 } }]]);
    agent.fire('change');
    mock.timers.tick(49);
    assert.equal(sent.length, 1);
    mock.timers.tick(1);
    assert.equal(sent.length, 2);
    assert.equal(agent.snapshots, 2);
  });

  test('progress goes at once, its data cut to the last 4096 characters', () => {
    const { agent, sent } = setup();
    agent.fire('progress', { commandId: 'c1', kind: 'stdout', data: `${'x'.repeat(5000)}END` });
    assert.equal(sent.length, 1);
    const event = sent[0]![1] as Extract<BridgeEvent, { type: 'progress' }>;
    assert.equal(event.commandId, 'c1');
    assert.equal(event.data.length, 4096);
    assert.ok(event.data.endsWith('END'));
  });

  test('nothing is built or sent while there is no window', () => {
    const { agent, sent, close } = setup();
    close();
    agent.fire('change');
    agent.fire('progress', { commandId: 'c1', kind: 'text', data: 'hi' });
    mock.timers.tick(100);
    assert.equal(agent.snapshots, 0);
    assert.equal(sent.length, 0);
  });

  test('a destroyed window is not sent to', () => {
    const { agent, sent, target } = setup();
    target.destroyed = true;
    agent.fire('change');
    agent.fire('progress', { commandId: 'c1', kind: 'text', data: 'hi' });
    mock.timers.tick(100);
    assert.equal(sent.length, 0);
  });

  test('after stopping, a pending snapshot is dropped and changes are ignored', () => {
    const { agent, sent, stop } = setup();
    agent.fire('change');
    stop();
    mock.timers.tick(100);
    agent.fire('change');
    mock.timers.tick(100);
    assert.equal(sent.length, 0);
  });
});
