/**
 * The tray, driven by one state (SPEC §6): a pure function from the agent's snapshot to the icon, the
 * tooltip and the menu; the controller applies a model only where it differs from the last one, and
 * rebuilds the menu whole (never patched item by item). Every action of the window is in the menu too,
 * since tray clicks do not reach the app on some Linux desktops.
 */
import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import type { Agent } from '../src/core/agent.js';
import type { Logger } from '../src/core/logger.js';
import type { AgentSnapshot } from '../src/core/snapshot.js';
import { trayStateOf, type TrayState } from '../src/core/tray-state.js';

const MINUTE = 60_000;
/** Windows cuts tray tooltips at 127 characters. */
const TOOLTIP_MAX = 127;
const TASK_LABEL_MAX = 40;

export type TrayAction =
  | { type: 'open' }
  | { type: 'pause'; durationMs: number | null; alsoStop: boolean }
  | { type: 'resume' }
  | { type: 'stopAll' }
  | { type: 'approve'; commandId: string }
  | { type: 'deny'; commandId: string }
  | { type: 'quit' };

export type TrayMenuItem = { type: 'separator' } | { label: string; enabled?: boolean; action?: TrayAction; submenu?: TrayMenuItem[] };

/** How the tray is drawn here: the platform, and on Windows whether the taskbar is dark. */
export interface TrayLook {
  platform: NodeJS.Platform;
  darkTaskbar: boolean;
  /** Clock time for "paused until"; local time by default. */
  formatTime?: (iso: string) => string;
}

export interface TrayModel {
  state: TrayState;
  iconName: string;
  tooltip: string;
  menu: TrayMenuItem[];
}

/**
 * The icon file in build/icons: macOS template images (the state is in the shape; macOS colours them),
 * Windows icons drawn for a light or a dark taskbar, Linux coloured PNGs (readable on any panel).
 */
export function trayIconName(state: TrayState, look: Pick<TrayLook, 'platform' | 'darkTaskbar'>): string {
  if (look.platform === 'darwin') return `trayTemplate-${state}.png`;
  if (look.platform === 'win32') return `tray-${state}-${look.darkTaskbar ? 'dark' : 'light'}.ico`;
  return `tray-${state}.png`;
}

const localTime = (iso: string): string => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** One line of untrusted text (a task, a technician's name) fit for a label. */
function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\p{Cc}\p{Cf}\s]+/gu, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

const KIND = { claude_task: 'AI task', shell: 'Shell command', powershell: 'PowerShell command', python: 'Python script' } as const;

/** Who runs what right now, naming the technicians (the local user should know who is on their machine). */
function runningLine(s: AgentSnapshot): string | null {
  const records = s.running.map((r) => r.record);
  if (records.length === 0) return null;
  const names = [...new Set(records.map((r) => (r.requested_by ? oneLine(r.requested_by, 30) : 'an unnamed technician')))];
  if (records.length === 1) return `${KIND[records[0]!.kind]} by ${names[0]} running`;
  return `${plural(records.length, 'task', 'tasks')} running, by ${names.join(', ')}`;
}

export function trayTooltip(s: AgentSnapshot, formatTime: (iso: string) => string = localTime): string {
  const connection = { connected: 'connected', connecting: 'connecting…', offline: 'offline', auth_failed: 'server refused the agent key' }[s.connection.state];
  const lines = [`GuruRMM Agent — ${connection}`];
  if (s.paused) lines.push(s.pausedUntil ? `Paused until ${formatTime(s.pausedUntil)}` : 'Paused until you resume');
  const running = runningLine(s);
  if (running) lines.push(running);
  if (s.awaitingApproval.length) lines.push(`${plural(s.awaitingApproval.length, 'AI task', 'AI tasks')} awaiting your approval`);
  const b = s.claude.budget;
  lines.push(`${Math.max(0, b.limit - b.used)} of ${b.limit} AI tasks left this hour`);
  const text = lines.join('\n');
  return text.length > TOOLTIP_MAX ? `${text.slice(0, TOOLTIP_MAX - 1)}…` : text;
}

export function trayMenu(s: AgentSnapshot, formatTime: (iso: string) => string = localTime): TrayMenuItem[] {
  const busy = s.running.length + s.awaitingApproval.length;
  const status = s.paused ? (s.pausedUntil ? `Paused until ${formatTime(s.pausedUntil)}` : 'Paused until you resume') : trayTooltip(s, formatTime).split('\n')[0]!;
  const items: TrayMenuItem[] = [
    { label: status, enabled: false },
    { type: 'separator' },
    { label: 'Open GuruRMM Agent', action: { type: 'open' } },
    { type: 'separator' },
    {
      label: 'Pause remote execution',
      submenu: [
        { label: 'For 15 minutes', action: { type: 'pause', durationMs: 15 * MINUTE, alsoStop: false } },
        { label: 'For 1 hour', action: { type: 'pause', durationMs: 60 * MINUTE, alsoStop: false } },
        { label: 'Until resumed', action: { type: 'pause', durationMs: null, alsoStop: false } },
        { type: 'separator' },
        { label: 'Until resumed, and stop running tasks', action: { type: 'pause', durationMs: null, alsoStop: true } },
      ],
    },
    { label: 'Resume remote execution', enabled: s.paused, action: { type: 'resume' } },
    { label: busy > 0 ? `Stop all tasks (${busy})` : 'Stop all tasks', enabled: busy > 0, action: { type: 'stopAll' } },
  ];
  if (s.awaitingApproval.length > 0) {
    items.push({ type: 'separator' });
    for (const a of s.awaitingApproval) {
      const who = a.requestedBy ? oneLine(a.requestedBy, 30) : 'an unnamed technician';
      items.push({
        label: `Approve AI task by ${who}: ${oneLine(a.task, TASK_LABEL_MAX)}`,
        submenu: [
          { label: 'Allow', action: { type: 'approve', commandId: a.commandId } },
          { label: 'Deny', action: { type: 'deny', commandId: a.commandId } },
          { type: 'separator' },
          { label: 'Show the whole task…', action: { type: 'open' } },
        ],
      });
    }
  }
  if (s.userMayQuit) items.push({ type: 'separator' }, { label: 'Quit GuruRMM Agent', action: { type: 'quit' } });
  return items;
}

export function trayModelOf(s: AgentSnapshot, look: TrayLook): TrayModel {
  const state = trayStateOf(s);
  return { state, iconName: trayIconName(state, look), tooltip: trayTooltip(s, look.formatTime), menu: trayMenu(s, look.formatTime) };
}

/** The Electron menu template; labels escaped so a task's "&" is shown, not taken as a shortcut key. */
export function toMenuTemplate(items: TrayMenuItem[], run: (action: TrayAction) => void, platform: NodeJS.Platform): MenuItemConstructorOptions[] {
  const label = (text: string): string => (platform === 'darwin' ? text : text.replaceAll('&', '&&'));
  return items.map((item): MenuItemConstructorOptions => {
    if ('type' in item) return { type: 'separator' };
    const { action, submenu } = item;
    return {
      label: label(item.label),
      enabled: item.enabled ?? true,
      ...(submenu ? { submenu: toMenuTemplate(submenu, run, platform) } : {}),
      ...(action ? { click: () => run(action) } : {}),
    };
  });
}

/** Carries out a menu action; a failed pause or resume is logged (the window shows the state either way). */
export function runTrayAction(
  action: TrayAction,
  deps: { agent: Pick<Agent, 'pause' | 'resume' | 'stopAll' | 'approve' | 'deny'>; openWindow: () => void; quit: () => void; logger: Logger },
): void {
  const failed = (err: unknown): void => deps.logger.error(`tray: ${action.type} failed`, { error: String(err) });
  switch (action.type) {
    case 'open':
      return deps.openWindow();
    case 'pause':
      return void deps.agent.pause(action.durationMs, action.alsoStop).catch(failed);
    case 'resume':
      return void deps.agent.resume().catch(failed);
    case 'stopAll':
      return void deps.agent.stopAll();
    case 'approve':
      return void deps.agent.approve(action.commandId);
    case 'deny':
      return void deps.agent.deny(action.commandId);
    case 'quit':
      return deps.quit();
  }
}

export interface TrayController {
  /** Shows this snapshot; changes only what differs from what is shown (an open menu is not rebuilt for nothing). */
  update(s: AgentSnapshot): void;
}

export function createTrayController(deps: {
  tray: Pick<Tray, 'setImage' | 'setToolTip' | 'setContextMenu'>;
  buildMenu: (template: MenuItemConstructorOptions[]) => Menu;
  loadIcon: (name: string) => NativeImage;
  look: () => TrayLook;
  run: (action: TrayAction) => void;
}): TrayController {
  let shown: { iconName: string; tooltip: string; menu: string } | null = null;
  return {
    update(s) {
      const look = deps.look();
      const model = trayModelOf(s, look);
      const menu = JSON.stringify(model.menu);
      if (shown?.iconName !== model.iconName) deps.tray.setImage(deps.loadIcon(model.iconName));
      if (shown?.tooltip !== model.tooltip) deps.tray.setToolTip(model.tooltip);
      if (shown?.menu !== menu) deps.tray.setContextMenu(deps.buildMenu(toMenuTemplate(model.menu, deps.run, look.platform)));
      shown = { iconName: model.iconName, tooltip: model.tooltip, menu };
    },
  };
}
