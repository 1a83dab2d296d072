import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Menu, MenuItemConstructorOptions, NativeImage } from 'electron';
import type { AgentSnapshot, RecordSummary } from '../../src/core/snapshot.js';
import { MemoryLogger } from '../../src/core/logger.js';
import {
  createTrayController,
  runTrayAction,
  toMenuTemplate,
  trayModelOf,
  type TrayAction,
  type TrayLook,
  type TrayMenuItem,
} from '../../electron/tray.js';

const HHMM = (iso: string): string => iso.slice(11, 16);
const linux: TrayLook = { platform: 'linux', darkTaskbar: false, formatTime: HHMM };

function snapshot(over: Partial<AgentSnapshot> = {}): AgentSnapshot {
  return {
    agentId: 'a1',
    hostname: 'desk-1',
    version: '0.1.0',
    connection: { state: 'connected', detail: null, serverUrl: 'wss://rmm.example/ws' },
    paused: false,
    pausedUntil: null,
    approvalRequired: false,
    shellApproval: { policy: 'off', effective: 'off' },
    grants: [],
    userMayQuit: true,
    claude: {
      available: true,
      problem: null,
      confinement: { confined: true, detail: 'bubblewrap', warning: null },
      budget: { limit: 10, used: 3, window_seconds: 3600, next_slot_at: null },
      nextSlotFreesAt: null,
      concurrency: { limit: 2, running: 0 },
    },
    warnings: [],
    running: [],
    awaitingApproval: [],
    asks: [],
    recent: [],
    localEvents: [],
    ...over,
  };
}

function running(id: string, kind: RecordSummary['kind'], requestedBy: string | null): AgentSnapshot['running'][number] {
  return {
    record: {
      id, kind, summary: 'check the sync log', requested_by: requestedBy, working_directory: '/srv', received_at: '2025-01-01T10:00:00.000Z',
      started_at: '2025-01-01T10:00:01.000Z', finished_at: null, status: 'running', exit_code: null, duration_ms: null, reason: null,
      decisions: [], stdout_bytes: 0, stderr_bytes: 0,
    },
    tail: '',
    tailKind: null,
  };
}

const approval = (commandId: string, task: string, requestedBy: string | null) => ({ commandId, kind: 'ai' as const, grantMinutes: null, task, requestedBy, workingDirectory: '/srv', expiresAt: '2025-01-01T10:02:00.000Z' });

/** Labels of a menu, submenus indented, separators as "---". */
function labels(items: TrayMenuItem[], indent = ''): string[] {
  return items.flatMap((i) => ('type' in i ? [`${indent}---`] : [`${indent}${i.label}`, ...(i.submenu ? labels(i.submenu, `${indent}  `) : [])]));
}

function findAction(items: TrayMenuItem[], label: string): TrayAction | undefined {
  for (const i of items) {
    if ('type' in i) continue;
    if (i.label === label) return i.action;
    const inner = i.submenu && findAction(i.submenu, label);
    if (inner) return inner;
  }
  return undefined;
}

describe('tray model', () => {
  test('one state picks the icon: template shapes on macOS, taskbar-matched ICO on Windows, PNG on Linux', () => {
    const cases: [AgentSnapshot, string][] = [
      [snapshot(), 'idle'],
      [snapshot({ running: [running('c1', 'claude_task', 'alice')] }), 'running'],
      [snapshot({ paused: true, running: [running('c1', 'shell', 'alice')] }), 'paused'],
      [snapshot({ connection: { state: 'offline', detail: null, serverUrl: 'wss://x' } }), 'offline'],
      [snapshot({ paused: true, awaitingApproval: [approval('c2', 'clean temp', 'bob')] }), 'needs-approval'],
    ];
    for (const [s, state] of cases) {
      assert.equal(trayModelOf(s, linux).state, state);
      assert.equal(trayModelOf(s, linux).iconName, `tray-${state}.png`);
      assert.equal(trayModelOf(s, { platform: 'darwin', darkTaskbar: true }).iconName, `trayTemplate-${state}.png`);
      assert.equal(trayModelOf(s, { platform: 'win32', darkTaskbar: true }).iconName, `tray-${state}-dark.ico`);
      assert.equal(trayModelOf(s, { platform: 'win32', darkTaskbar: false }).iconName, `tray-${state}-light.ico`);
    }
  });

  test('the tooltip names the technician while a remote task runs', () => {
    assert.equal(trayModelOf(snapshot(), linux).tooltip, 'GuruRMM Agent — connected\n7 of 10 AI tasks left this hour');
    const one = trayModelOf(snapshot({ running: [running('c1', 'claude_task', 'alice@msp')] }), linux).tooltip;
    assert.match(one, /^AI task by alice@msp running$/m);
    const shell = trayModelOf(snapshot({ running: [running('c1', 'powershell', null)] }), linux).tooltip;
    assert.match(shell, /^PowerShell command by an unnamed technician running$/m);
    const two = trayModelOf(snapshot({ running: [running('c1', 'claude_task', 'alice'), running('c2', 'shell', 'bob'), running('c3', 'shell', 'alice')] }), linux).tooltip;
    assert.match(two, /^3 tasks running, by alice, bob$/m);
  });

  test('the tooltip says paused (until when) and what awaits approval, within Windows\' 127 characters', () => {
    const paused = trayModelOf(snapshot({ paused: true, pausedUntil: '2025-01-01T14:32:00.000Z' }), linux).tooltip;
    assert.match(paused, /^Paused until 14:32$/m);
    assert.match(trayModelOf(snapshot({ paused: true }), linux).tooltip, /^Paused until you resume$/m);
    assert.match(trayModelOf(snapshot({ awaitingApproval: [approval('c2', 'x', null)] }), linux).tooltip, /^1 AI task awaiting your approval$/m);
    const long = trayModelOf(snapshot({ paused: true, running: [running('c1', 'claude_task', 'a'.repeat(200))], awaitingApproval: [approval('c2', 'x', null), approval('c3', 'y', null)] }), linux).tooltip;
    assert.ok(long.length <= 127, String(long.length));
    assert.ok(long.endsWith('…'));
  });

  test('every action is in the menu: open, pause (15 min, 1 h, until resumed, and stop), resume, stop all, quit', () => {
    const menu = trayModelOf(snapshot({ paused: true }), linux).menu;
    assert.deepEqual(labels(menu), [
      'Paused until you resume',
      '---',
      'Open GuruRMM Agent',
      '---',
      'Pause remote execution',
      '  For 15 minutes',
      '  For 1 hour',
      '  Until resumed',
      '  ---',
      '  Until resumed, and stop running tasks',
      'Resume remote execution',
      'Stop all tasks',
      '---',
      'Quit GuruRMM Agent',
    ]);
    assert.deepEqual(findAction(menu, 'Open GuruRMM Agent'), { type: 'open' });
    assert.deepEqual(findAction(menu, 'For 15 minutes'), { type: 'pause', durationMs: 15 * 60_000, alsoStop: false });
    assert.deepEqual(findAction(menu, 'For 1 hour'), { type: 'pause', durationMs: 3_600_000, alsoStop: false });
    assert.deepEqual(findAction(menu, 'Until resumed'), { type: 'pause', durationMs: null, alsoStop: false });
    assert.deepEqual(findAction(menu, 'Until resumed, and stop running tasks'), { type: 'pause', durationMs: null, alsoStop: true });
    assert.deepEqual(findAction(menu, 'Quit GuruRMM Agent'), { type: 'quit' });
  });

  test('resume and stop all are enabled only when they would do something', () => {
    const item = (s: AgentSnapshot, prefix: string) => trayModelOf(s, linux).menu.find((i) => !('type' in i) && i.label.startsWith(prefix)) as { enabled?: boolean; label: string };
    assert.equal(item(snapshot(), 'Resume').enabled, false);
    assert.equal(item(snapshot({ paused: true }), 'Resume').enabled, true);
    assert.equal(item(snapshot(), 'Stop all').enabled, false);
    const busy = item(snapshot({ running: [running('c1', 'shell', 'a')], awaitingApproval: [approval('c2', 't', null)] }), 'Stop all');
    assert.equal(busy.enabled, true);
    assert.equal(busy.label, 'Stop all tasks (2)');
  });

  test('no Quit when the policy forbids quitting', () => {
    const menu = trayModelOf(snapshot({ userMayQuit: false }), linux).menu;
    assert.ok(!labels(menu).some((l) => l.includes('Quit')));
    assert.ok(!('type' in menu.at(-1)!), 'no trailing separator');
  });

  test('each task awaiting approval can be allowed or denied from the menu, its text made one safe line', () => {
    const menu = trayModelOf(snapshot({ awaitingApproval: [approval('c2', 'delete\nold\u202Elogs   in /var/log and then some more words', 'bob'), approval('c3', 'x', null)] }), linux).menu;
    const all = labels(menu);
    assert.ok(all.includes('Approve AI task by bob: delete old logs in /var/log and then so…'), all.join('\n'));
    assert.ok(all.includes('Approve AI task by an unnamed technician: x'));
    const entry = menu.find((i) => !('type' in i) && i.label.startsWith('Approve AI task by bob')) as { submenu: TrayMenuItem[] };
    assert.deepEqual(findAction(entry.submenu, 'Allow'), { type: 'approve', commandId: 'c2' });
    assert.deepEqual(findAction(entry.submenu, 'Deny'), { type: 'deny', commandId: 'c2' });
    assert.deepEqual(findAction(entry.submenu, 'Show the whole task…'), { type: 'open' });
  });
});

describe('tray menu template and actions', () => {
  test('clicks run the item\'s action; "&" is shown, not taken as an access key, on Windows and Linux', () => {
    const ran: TrayAction[] = [];
    const menu = trayModelOf(snapshot({ awaitingApproval: [approval('c9', 'R&D share', 'a&b')] }), linux).menu;
    const template = toMenuTemplate(menu, (a) => ran.push(a), 'win32');
    const approve = template.find((i) => String(i.label).startsWith('Approve'))!;
    assert.equal(approve.label, 'Approve AI task by a&&b: R&&D share');
    const allow = (approve.submenu as MenuItemConstructorOptions[])[0]!;
    allow.click!({} as never, undefined, {} as never);
    assert.deepEqual(ran, [{ type: 'approve', commandId: 'c9' }]);
    assert.equal(toMenuTemplate(menu, () => undefined, 'darwin').find((i) => String(i.label).startsWith('Approve'))!.label, 'Approve AI task by a&b: R&D share');
    assert.equal(template[0]!.enabled, false);
    assert.equal(template[1]!.type, 'separator');
  });

  test('actions reach the agent, the window and quit', async () => {
    const calls: unknown[][] = [];
    const logger = new MemoryLogger();
    const deps = {
      agent: {
        pause: async (ms: number | null, stop?: boolean) => void calls.push(['pause', ms, stop]),
        resume: async () => {
          throw new Error('disk full');
        },
        stopAll: () => (calls.push(['stopAll']), 1),
        approve: (id: string) => (calls.push(['approve', id]), true),
        deny: (id: string) => (calls.push(['deny', id]), true),
      },
      openWindow: () => void calls.push(['open']),
      quit: () => void calls.push(['quit']),
      logger,
    };
    for (const a of [
      { type: 'open' },
      { type: 'pause', durationMs: 900_000, alsoStop: true },
      { type: 'stopAll' },
      { type: 'approve', commandId: 'c1' },
      { type: 'deny', commandId: 'c2' },
      { type: 'resume' },
      { type: 'quit' },
    ] as TrayAction[]) runTrayAction(a, deps);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(calls, [['open'], ['pause', 900_000, true], ['stopAll'], ['approve', 'c1'], ['deny', 'c2'], ['quit']]);
    assert.equal(logger.lines.find((l) => l.level === 'error')?.message, 'tray: resume failed');
  });
});

describe('tray controller', () => {
  function setup(look: TrayLook = linux) {
    const log: string[] = [];
    const tray = {
      setImage: (image: NativeImage) => void log.push(`image ${String(image)}`),
      setToolTip: (text: string) => void log.push(`tooltip ${text.split('\n')[0]}`),
      setContextMenu: (menu: Menu | null) => void log.push(`menu ${(menu as unknown as MenuItemConstructorOptions[]).length}`),
    };
    const current = { look };
    const controller = createTrayController({
      tray,
      buildMenu: (template) => template as unknown as Menu,
      loadIcon: (name) => name as unknown as NativeImage,
      look: () => current.look,
      run: () => undefined,
    });
    return { log, controller, current };
  }

  test('the first update sets icon, tooltip and menu', () => {
    const { log, controller } = setup();
    controller.update(snapshot());
    assert.deepEqual(log, ['image tray-idle.png', 'tooltip GuruRMM Agent — connected', 'menu 9']);
  });

  test('an update changes only what differs, so an open menu is not rebuilt for nothing', () => {
    const { log, controller, current } = setup();
    controller.update(snapshot());
    log.length = 0;
    controller.update(snapshot());
    assert.deepEqual(log, []);
    controller.update(snapshot({ claude: { ...snapshot().claude, budget: { limit: 10, used: 4, window_seconds: 3600, next_slot_at: null } } }));
    assert.deepEqual(log, ['tooltip GuruRMM Agent — connected']);
    log.length = 0;
    controller.update(snapshot({ running: [running('c1', 'claude_task', 'alice')] }));
    assert.deepEqual(log, ['image tray-running.png', 'tooltip GuruRMM Agent — connected', 'menu 9']);
    log.length = 0;
    current.look = { platform: 'win32', darkTaskbar: true, formatTime: HHMM };
    controller.update(snapshot({ running: [running('c1', 'claude_task', 'alice')] }));
    assert.deepEqual(log, ['image tray-running-dark.ico']);
  });
});
