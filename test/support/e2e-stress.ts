/**
 * Load for the window's rendering: a stand-in `window.agent` (the Electron preload's slot) installed
 * before the page's script runs, holding 1,000 history records and pushing a new record with every
 * snapshot (20 a second) and progress on two running tasks at the given rate, counting what rendering
 * did to the DOM; and a frame meter that
 * records the gaps between animation frames and the long tasks the page saw.
 */
import type { Page } from 'playwright-core';

/** JavaScript for `addInitScript`: plain source, so nothing a test transpiler adds reaches the page. */
export function stressBridgeSource(opts: { records: number; progressPerSecond: number }): string {
  return `(() => {
  const now = Date.now();
  const iso = (t) => new Date(t).toISOString();
  const kinds = ['shell', 'claude_task', 'powershell', 'python'];
  const statuses = ['succeeded', 'failed', 'refused', 'cancelled', 'timed_out'];
  let seq = 0;
  const record = (i, status) => ({
    id: 'cmd-' + i, kind: kinds[i % 4], summary: 'Task number ' + i + ' <b>not bold</b> ' + 'x'.repeat(i % 40),
    requested_by: i % 3 ? 'tech' + (i % 7) : null, working_directory: i % 2 ? '/srv/share/logs' : null,
    received_at: iso(now - i * 1000), started_at: iso(now - i * 1000), finished_at: status === 'running' ? null : iso(now - i * 1000 + 500),
    status: status, exit_code: status === 'running' ? null : i % 5, duration_ms: status === 'running' ? null : 500, reason: i % 5 ? 'reason ' + i : null,
    decisions: i % 11 ? [] : [{ at: iso(now - i * 1000), decision: 'allow', by: 'user' }], stdout_bytes: 10, stderr_bytes: 0,
  });
  let recent = [];
  for (let i = 0; i < ${opts.records}; i++) recent.push(record(i + 2, statuses[i % 5]));
  const running = [record(0, 'running'), record(1, 'running')];
  const snapshot = () => ({
    agentId: 'stress-agent-0001', hostname: 'stress-host', version: '0.1.0',
    connection: { state: 'connected', detail: null, serverUrl: 'wss://rmm.example.com/agent' },
    paused: false, pausedUntil: null, approvalRequired: true, userMayQuit: true,
    shellApproval: { policy: 'off', effective: 'off' }, grants: [],
    claude: { available: true, problem: null, confinement: { confined: true, detail: 'bubblewrap', warning: null },
      budget: { limit: 10, used: 3, window_seconds: 3600, next_slot_at: null }, concurrency: { limit: 2, running: 2 } },
    warnings: [], running: running.map((r) => ({ record: r, tail: 'started' })),
    awaitingApproval: [{ commandId: 'cmd-wait', kind: 'ai', grantMinutes: null, task: 'Waiting task', requestedBy: 'tech', workingDirectory: '/srv/share', expiresAt: iso(Date.now() + 60000) }],
    recent: recent, localEvents: [],
  });
  const listeners = new Set();
  const emit = (e) => { for (const l of listeners) l(e); };
  window.stressCounts = { snapshots: 0, progress: 0 };
  const ok = (v) => Promise.resolve(v);
  window.agent = {
    getSnapshot: () => ok(snapshot()),
    pause: () => ok(true), resume: () => ok(true), stopTask: () => ok(true), stopAll: () => ok(0),
    approve: () => ok(true), deny: () => ok(true), revokeGrant: () => ok(true), setShellApproval: () => ok(true),
    getHistory: (a) => ok(recent.slice(0, a.limit).map((r) => ({ ...r, stdout: 'out', stderr: '' }))),
    getTaskOutput: () => ok({ stdout: 'out', stderr: '' }),
    subscribe: (l) => { listeners.add(l); return () => listeners.delete(l); },
  };
  window.startStress = () => {
    // What rendering did to the DOM: rows added to the recent list, and rewrites of the progress tails.
    const dom = { rowsAdded: 0, tailWrites: 0 };
    window.domCounts = dom;
    new MutationObserver((ms) => { for (const m of ms) dom.rowsAdded += m.addedNodes.length; })
      .observe(document.querySelector('.record-list'), { childList: true });
    new MutationObserver((ms) => { for (const m of ms) if (m.target.parentElement?.closest('.tail-text') || m.target.classList?.contains('tail-text')) dom.tailWrites++; })
      .observe(document.querySelector('.running'), { childList: true, characterData: true, subtree: true });
    const started = performance.now();
    const perTick = ${opts.progressPerSecond} / 100;
    let owed = 0;
    const progress = setInterval(() => {
      for (owed += perTick; owed >= 1; owed--) {
        seq++;
        window.stressCounts.progress++;
        emit({ type: 'progress', commandId: 'cmd-' + (seq % 2), kind: seq % 3 ? 'tool_use' : 'text', data: 'Read logs/file-' + seq + '.log' });
      }
    }, 10);
    const snaps = setInterval(() => {
      recent = [record(${opts.records} + 2 + seq, statuses[seq % 5]), ...recent.slice(0, ${opts.records} - 1)];
      window.stressCounts.snapshots++;
      emit({ type: 'snapshot', snapshot: snapshot() });
    }, 50);
    window.stopStress = () => { clearInterval(progress); clearInterval(snaps); return performance.now() - started; };
  };
})();`;
}

const METER = `(() => {
  const m = { gaps: [], long: [], last: performance.now(), stop: false };
  new PerformanceObserver((list) => { for (const e of list.getEntries()) m.long.push(e.duration); }).observe({ type: 'longtask' });
  const loop = (t) => { m.gaps.push(t - m.last); m.last = t; if (!m.stop) requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
  window.frameMeter = m;
})()`;

export interface FrameStats {
  frames: number;
  p95GapMs: number;
  maxGapMs: number;
  longTasks: number;
  longestTaskMs: number;
}

export async function startFrameMeter(page: Page): Promise<void> {
  await page.evaluate(METER);
}

export async function stopFrameMeter(page: Page): Promise<FrameStats> {
  const { gaps, long } = (await page.evaluate('(() => { window.frameMeter.stop = true; return window.frameMeter; })()')) as { gaps: number[]; long: number[] };
  const sorted = gaps.slice(1).sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 10) / 10;
  return {
    frames: sorted.length,
    p95GapMs: round(sorted[Math.floor(sorted.length * 0.95)] ?? 0),
    maxGapMs: round(sorted.at(-1) ?? 0),
    longTasks: long.length,
    longestTaskMs: round(Math.max(0, ...long)),
  };
}
