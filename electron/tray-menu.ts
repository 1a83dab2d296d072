/** The tray menu, rebuilt from the agent's snapshot on every change (never patched item by item). */
import type { MenuItemConstructorOptions } from 'electron';
import type { Agent } from '../src/core/agent.js';
import type { AgentSnapshot } from '../src/core/snapshot.js';
import { trayTooltipOf } from '../src/core/tray-state.js';

const MINUTE = 60_000;

export function buildTrayMenu(s: AgentSnapshot, agent: Agent, quit: () => void): MenuItemConstructorOptions[] {
  const items: MenuItemConstructorOptions[] = [
    { label: trayTooltipOf(s), enabled: false },
    { type: 'separator' },
    {
      label: 'Pause remote execution',
      submenu: [
        { label: 'For 15 minutes', click: () => void agent.pause(15 * MINUTE) },
        { label: 'For 1 hour', click: () => void agent.pause(60 * MINUTE) },
        { label: 'Until resumed', click: () => void agent.pause(null) },
        { type: 'separator' },
        { label: 'Until resumed, and stop running tasks', click: () => void agent.pause(null, true) },
      ],
    },
    { label: 'Resume', enabled: s.paused, click: () => void agent.resume() },
    { label: 'Stop all tasks', enabled: s.running.length + s.awaitingApproval.length > 0, click: () => agent.stopAll() },
  ];
  for (const a of s.awaitingApproval) {
    items.push({
      label: `Approve AI task: ${a.task.slice(0, 40)}`,
      submenu: [
        { label: 'Allow', click: () => agent.approve(a.commandId) },
        { label: 'Deny', click: () => agent.deny(a.commandId) },
      ],
    });
  }
  items.push({ type: 'separator' });
  if (s.userMayQuit) items.push({ label: 'Quit', click: quit });
  return items;
}
