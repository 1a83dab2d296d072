/**
 * Row 8: the window in real Chromium through the console, against the real core. (a) First render with
 * 1,000 records in the agent's history: from navigation to the recent list drawn, and the longest task
 * during it, against the same page with an empty history (the floor). (b) The longest main-thread task
 * while a shell command streams about 100 progress lines a second.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TaskRecord } from '../../src/contracts/wire.js';
import { startFrameMeter, stopFrameMeter } from '../support/e2e-stress.js';
import { E2EWorld, e2eSkipReason } from '../support/e2e-world.js';
import { met, ms, ratio, type Row } from './stats.js';

const RECORDS = 1000;

function seedHistory(dataDir: string, n: number): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lines: string[] = [];
  const t0 = Date.now() - n * 1000;
  for (let i = 0; i < n; i++) {
    const at = new Date(t0 + i * 1000).toISOString();
    const record: TaskRecord = {
      id: `seed-${i}`, kind: i % 3 ? 'shell' : 'claude_task', summary: `command number ${i} with a summary line`, requested_by: 'tech',
      working_directory: null, received_at: at, started_at: at, finished_at: at, status: i % 7 ? 'succeeded' : 'failed', exit_code: i % 7 ? 0 : 1,
      duration_ms: 12, reason: i % 7 ? null : 'The command exited with code 1.', stdout: `output ${i}\n`, stderr: '', decisions: [],
    };
    lines.push(JSON.stringify({ e: 'finish', id: record.id, at: t0 + i * 1000, record, result: null }));
  }
  writeFileSync(path.join(dataDir, 'commands.jsonl'), `${lines.join('\n')}\n`, { mode: 0o600 });
}

/** Milliseconds from navigation start until the recent list shows its rows, and the longest task meanwhile. */
async function firstRender(world: E2EWorld, url: string): Promise<{ ms: number; longestTaskMs: number }> {
  const context = await world.browser.newContext({ viewport: { width: 420, height: 640 } });
  try {
    await context.addInitScript(`(() => { window.__long = 0; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long = Math.max(window.__long, e.duration); }).observe({ type: 'longtask', buffered: true }); })()`);
    const page = await context.newPage();
    await page.goto(url);
    // Drawn: the first record, or the empty-history sentence (both are there only once a snapshot was rendered).
    await page.locator('.record, p.empty:visible').first().waitFor({ state: 'attached', timeout: 20_000 });
    return (await page.evaluate('({ ms: performance.now(), longestTaskMs: window.__long })')) as { ms: number; longestTaskMs: number };
  } finally {
    await context.close();
  }
}

export async function renderRows(): Promise<Row[]> {
  const skip = e2eSkipReason();
  if (skip) return [{ id: '8', what: 'the window in Chromium', agent: 'skipped', floor: '', ratio: '', goal: '', met: skip }];
  const world = await E2EWorld.start();
  try {
    const seeded = path.join(world.tmp.dir, 'seeded');
    // A first start gives the data dir its identity; the history is then written as a long-running agent's would be.
    await (await world.startAgent({ dataDir: seeded })).stop();
    seedHistory(seeded, RECORDS);
    const full = await world.startAgent({ dataDir: seeded });
    const empty = await world.startAgent();
    const runs = { full: [] as number[], empty: [] as number[], long: [] as number[], emptyLong: [] as number[] };
    for (let i = 0; i < 5; i++) {
      const f = await firstRender(world, full.console.url);
      const e = await firstRender(world, empty.console.url);
      runs.full.push(f.ms);
      runs.empty.push(e.ms);
      runs.long.push(f.longestTaskMs);
      runs.emptyLong.push(e.longestTaskMs);
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const context = await world.browser.newContext({ viewport: { width: 420, height: 640 } });
    const page = await context.newPage();
    await page.goto(full.console.url);
    await page.locator('.record').first().waitFor();
    await startFrameMeter(page);
    const cmd = world.shell(full.id, 'i=0; while [ $i -lt 400 ]; do echo "progress line $i"; i=$((i+1)); sleep 0.01; done');
    await world.server.waitForResult(cmd, 30_000);
    const stream = await stopFrameMeter(page);
    await context.close();
    const renderMs = median(runs.full);
    return [
      { id: '8a', what: `window first render, ${RECORDS} records in history (navigation to list drawn)`, agent: ms(renderMs), floor: `${ms(median(runs.empty))} (empty history)`, ratio: ratio(renderMs, median(runs.empty)), goal: '', met: '' },
      {
        id: '8b', what: 'window first render: longest main-thread task (median of 5)', agent: ms(median(runs.long)), floor: `${ms(median(runs.emptyLong))} (empty history)`,
        ratio: ratio(median(runs.long), median(runs.emptyLong)), goal: '<= 50 ms', met: met(median(runs.long) <= 50),
      },
      { id: '8c', what: 'window while ~100 progress lines/s stream: longest task (p95 frame gap)', agent: `${ms(stream.longestTaskMs)} (${ms(stream.p95GapMs)})`, floor: '', ratio: '', goal: '< 50 ms', met: met(stream.longestTaskMs < 50) },
    ];
  } finally {
    await world.close();
  }
}
