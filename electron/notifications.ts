/**
 * Desktop notifications for what the core announces ('notify': an AI task started, needs approval,
 * ended). Clicking one opens the window. Each is held until it closes: Windows drops the click of a
 * notification whose object was garbage-collected.
 */
import type { NotificationConstructorOptions } from 'electron';
import type { Agent } from '../src/core/agent.js';
import type { Logger } from '../src/core/logger.js';

/** On Windows, notifications are attributed to this id (the installer's shortcut carries the same). */
export const APP_USER_MODEL_ID = 'com.gururmm.agent.tray';

interface NotificationLike {
  show(): void;
  on(event: 'click' | 'close' | 'failed', listener: () => void): unknown;
}

export interface NotificationClass {
  new (options: NotificationConstructorOptions): NotificationLike;
  isSupported(): boolean;
}

/** Shows the agent's notifications; returns the function that stops. */
export function showAgentNotifications(deps: { agent: Pick<Agent, 'on'>; Notification: NotificationClass; onClick: () => void; logger: Logger }): () => void {
  const live = new Set<NotificationLike>();
  return deps.agent.on('notify', ({ title, body }) => {
    if (!deps.Notification.isSupported()) {
      deps.logger.info('notification not shown (not supported on this desktop)', { title });
      return;
    }
    const n = new deps.Notification({ title, body });
    live.add(n);
    const release = (): void => {
      live.delete(n);
    };
    n.on('click', () => {
      release();
      deps.onClick();
    });
    n.on('close', release);
    n.on('failed', release);
    n.show();
  });
}
