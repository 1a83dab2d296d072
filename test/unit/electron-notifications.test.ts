import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NotificationConstructorOptions } from 'electron';
import type { Agent, AgentEvents } from '../../src/core/agent.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { TypedEmitter } from '../../src/core/typed-emitter.js';
import { showAgentNotifications, type NotificationClass } from '../../electron/notifications.js';

class FakeAgent extends TypedEmitter<AgentEvents> {
  notify(title: string, body: string): void {
    this.emit('notify', { title, body });
  }
}

function fakeNotification(supported: boolean) {
  const shown: FakeNotification[] = [];
  class FakeNotification {
    readonly listeners = new Map<string, () => void>();
    constructor(readonly options: NotificationConstructorOptions) {}
    static isSupported = () => supported;
    on(event: string, fn: () => void) {
      this.listeners.set(event, fn);
    }
    show() {
      shown.push(this);
    }
  }
  return { Notification: FakeNotification as unknown as NotificationClass, shown };
}

describe('notifications', () => {
  test('what the core announces is shown; a click opens the window', () => {
    const agent = new FakeAgent();
    const { Notification, shown } = fakeNotification(true);
    let opened = 0;
    showAgentNotifications({ agent: agent as unknown as Agent, Notification, onClick: () => opened++, logger: new MemoryLogger() });
    agent.notify('AI task started', 'alice: check the sync log');
    agent.notify('AI task needs your approval', 'bob: clean temp');
    agent.notify('AI task finished', 'check the sync log — success');
    assert.deepEqual(shown.map((n) => n.options), [
      { title: 'AI task started', body: 'alice: check the sync log' },
      { title: 'AI task needs your approval', body: 'bob: clean temp' },
      { title: 'AI task finished', body: 'check the sync log — success' },
    ]);
    shown[1]!.listeners.get('click')!();
    assert.equal(opened, 1);
  });

  test('where the desktop has none, nothing is shown and the reason is logged', () => {
    const agent = new FakeAgent();
    const { Notification, shown } = fakeNotification(false);
    const logger = new MemoryLogger();
    const stop = showAgentNotifications({ agent: agent as unknown as Agent, Notification, onClick: () => undefined, logger });
    agent.notify('AI task started', 'x');
    assert.equal(shown.length, 0);
    assert.match(logger.lines[0]!.message, /not supported/);
    stop();
    agent.notify('AI task started', 'y');
    assert.equal(logger.lines.length, 1);
  });
});
