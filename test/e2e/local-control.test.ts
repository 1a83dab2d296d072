/**
 * The local user's controls in the real window against the real core: pause refuses what technicians
 * send and outlives an agent restart, Resume lets work through again, and the keyboard alone can do it.
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { contrastOf, controlNames, openConsole, screenshot, tabTo, waitForText, type ConsolePage } from '../support/e2e-page.js';
import { E2EWorld, skipReasonPrinted, tokenOf, type E2EAgent } from '../support/e2e-world.js';

const skip = skipReasonPrinted();

describe('pause and resume from the window', { skip, timeout: 60_000 }, () => {
  let world: E2EWorld;
  let a: E2EAgent;
  let light: ConsolePage;
  let dark: ConsolePage;

  before(async () => {
    world = await E2EWorld.start();
    a = await world.startAgent();
    [light, dark] = await Promise.all([openConsole(world.browser, a.console.url), openConsole(world.browser, a.console.url, { colorScheme: 'dark' })]);
  });

  after(async () => {
    await world?.close();
  });

  test('the idle window names the machine, its server and the AI-task budget', async () => {
    const { page } = light;
    assert.equal(await page.locator('h1.host').textContent(), a.agent.snapshot().hostname);
    await waitForText(page.locator('.conn'), /^Connected to 127\.0\.0\.1:\d+$/);
    await waitForText(page.locator('.budget-line'), /^10 of 10 AI tasks left this hour$/);
    await waitForText(page.locator('.budget .pill'), /^0 of 2 running$/);
    await waitForText(page.locator('.running .empty'), /Nothing is running/);
    await waitForText(dark.page.locator('.conn'), /^Connected to/);
    await screenshot(page, 'idle-light');
    await screenshot(dark.page, 'idle-dark');
    assert.deepEqual(light.problems, []);
  });

  test('Pause from the window refuses a dispatched command, and the pause survives an agent restart', async () => {
    const { page } = light;
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.locator('#pause-menu').waitFor();
    await screenshot(page, 'pause-menu-light');
    await page.getByRole('button', { name: 'Pause until I resume', exact: true }).click();
    await waitForText(page.locator('.paused-banner'), /Paused until you resume\./);
    await waitForText(dark.page.locator('.paused-banner'), /Paused until you resume\./);
    assert.equal(await page.getByRole('button', { name: 'Resume' }).isVisible(), true);
    await screenshot(page, 'paused-light');
    await screenshot(dark.page, 'paused-dark');

    const refused = await world.server.waitForResult(world.shell(a.id, 'echo should-not-run'));
    assert.equal(refused.exit_code, -1);
    assert.equal(refused.status, 'refused');
    assert.match(refused.reason ?? '', /paused/);
    await waitForText(page.locator('.record').first(), /Refused.*echo should-not-run/s);

    // The agent restarts on the same data dir; its console comes back at the same address.
    const { dataDir } = a;
    const port = a.console.port;
    const token = tokenOf(a.console.url);
    await a.stop();
    await waitForText(page.locator('.link-banner'), /Disconnected from the agent/);
    await screenshot(page, 'disconnected-light');
    assert.equal(await page.getByRole('button', { name: 'Resume' }).isDisabled(), true, 'controls are disabled while disconnected');
    // A write torn by the stop: the agent starts anyway and the window shows its warning.
    appendFileSync(path.join(dataDir, 'commands.jsonl'), '{"torn');
    a = await world.startAgent({ dataDir, consolePort: port, consoleToken: token });
    await page.locator('.link-banner').waitFor({ state: 'hidden' });
    await waitForText(page.locator('.paused-banner'), /Paused until you resume\./);
    const [warning] = a.agent.snapshot().warnings;
    assert.ok(warning, 'the agent reports the torn write');
    await waitForText(page.locator('.warnings .banner'), new RegExp(`^Warning: ${warning.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    await screenshot(page, 'paused-restarted-light');
    const again = await world.server.waitForResult(world.shell(a.id, 'echo still-paused'));
    assert.equal(again.exit_code, -1);
    assert.match(again.reason ?? '', /paused/);
  });

  test('Resume lets commands run again', async () => {
    const { page } = light;
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('.paused-banner').waitFor({ state: 'hidden' });
    assert.equal(await page.getByRole('button', { name: 'Pause', exact: true }).isVisible(), true);
    const ran = await world.server.waitForResult(world.shell(a.id, 'echo resumed-ok'));
    assert.equal(ran.exit_code, 0);
    assert.equal(ran.stdout, 'resumed-ok\n');
    assert.deepEqual(a.agent.snapshot().localEvents.slice(0, 2).map((e) => e.action), ['resume', 'pause']);
  });

  test('"Pause and stop running tasks" stops what runs and refuses what comes', async () => {
    const { page } = light;
    const cmd = world.shell(a.id, 'sleep 30');
    await page.locator('.task', { hasText: 'sleep 30' }).waitFor();
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByRole('button', { name: 'Pause until I resume and stop running tasks' }).click();
    const r = await world.server.waitForResult(cmd, 10_000);
    assert.deepEqual([r.exit_code, r.status, r.reason], [-1, 'cancelled', 'stopped by the local user']);
    await waitForText(page.locator('.paused-banner'), /Paused until you resume\./);
    await waitForText(page.locator('.running .empty'), /Nothing is running/);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('.paused-banner').waitFor({ state: 'hidden' });
  });

  test('when AI tasks cannot run here, the budget says why', async () => {
    const b = await world.startAgent({ config: { claude: { executable: '/nonexistent/claude' } } });
    const p = await openConsole(world.browser, b.console.url);
    try {
      await waitForText(p.page.locator('.budget .notice.tone-bad'), /^AI tasks are unavailable\. Claude Code CLI not found at \/nonexistent\/claude\./);
      assert.equal(await p.page.locator('.budget.is-unavailable').count(), 1);
    } finally {
      await p.close();
      await b.stop();
    }
  });

  test('keyboard alone: Tab to Pause, Enter, Tab to "15 minutes", Space; then Enter on Resume', async () => {
    const { page } = light;
    await page.reload();
    await page.locator('h1.host').filter({ hasNotText: 'GuruRMM Agent' }).waitFor();
    await tabTo(page, /button "Pause"/);
    await page.keyboard.press('Enter');
    await tabTo(page, /button "Pause for 15 minutes"/, 3);
    await page.keyboard.press('Space');
    const banner = await waitForText(page.locator('.paused-banner'), /Paused until \d{1,2}:\d\d/);
    const until = a.agent.snapshot().pausedUntil;
    assert.ok(until, 'the agent is paused with an end time');
    const minutes = (Date.parse(until) - Date.now()) / 60_000;
    assert.ok(minutes > 14 && minutes <= 15, `paused for ${minutes} minutes`);
    assert.match(banner, /New commands from technicians are refused/);
    // Focus moved from Pause to its counterpart, so Enter resumes at once.
    await page.keyboard.press('Enter');
    await page.locator('.paused-banner').waitFor({ state: 'hidden' });
    assert.equal(a.agent.snapshot().paused, false);
  });

  test('recent tasks list shell commands newest first; expanding one fetches its output; the filter works', async () => {
    const { page } = light;
    const evil = `echo '<img src=x onerror="document.title=1">'`;
    for (const c of ['printf "line one\\nline two\\n"', 'sh -c "echo oops >&2; exit 3"', evil]) await world.server.waitForResult(world.shell(a.id, c));
    const first = page.locator('.record').first();
    await waitForText(first.locator('.record-title'), /^echo '<img src=x onerror="document.title=1">'$/);
    assert.equal(await page.locator('img').count(), 0, 'remote text never becomes markup');
    const titles = (await page.locator('.record-title').allTextContents()).slice(0, 3);
    assert.deepEqual(titles, [evil, 'sh -c "echo oops >&2; exit 3"', 'printf "line one\\nline two\\n"']);
    const failed = page.locator('.record', { hasText: 'exit 3' }).first();
    await waitForText(failed.locator('summary'), /Failed.*Shell · tech · .* · exit 3/s);

    const printed = page.locator('.record', { hasText: 'line one' });
    assert.equal(await printed.locator('pre').count(), 0, 'output is not carried in the list');
    await printed.locator('summary').click();
    await waitForText(printed.locator('pre'), /^line one\nline two\n$/);
    await failed.locator('summary').click();
    await waitForText(failed.locator('pre.is-stderr'), /^oops\n$/);
    await failed.locator('summary').scrollIntoViewIfNeeded();
    await screenshot(page, 'recent-light');

    const select = page.getByRole('combobox', { name: 'Show' });
    await select.selectOption('refused');
    await waitForText(page.locator('.record-list'), /^(?!.*Succeeded)(?!.*Failed).*should-not-run/s);
    assert.deepEqual(new Set(await page.locator('.record-title').allTextContents()), new Set(['echo should-not-run', 'echo still-paused']));
    await select.selectOption('ai');
    await waitForText(page.locator('.recent .empty'), /^No AI tasks yet\.$/);
    await select.selectOption('shell');
    await waitForText(page.locator('.record-list'), /resumed-ok/);
    assert.equal(await page.locator('.record').count(), 7);
    await select.selectOption('all');
    await waitForText(page.locator('.record-list'), /resumed-ok/);
  });

  test('every control has an accessible name, in the states that show the most controls', async () => {
    const { page } = light;
    await page.locator('.record summary').first().click();
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    const controls = await controlNames(page);
    assert.ok(controls.length >= 12, `found ${controls.length} controls`);
    assert.deepEqual(controls.filter((c) => !c.name), []);
    const dom = await page.locator('button:visible, select:visible, summary:visible').count();
    assert.equal(controls.length, dom, 'the accessibility tree holds every visible control');
    await page.keyboard.press('Escape');
    await page.locator('#pause-menu').waitFor({ state: 'hidden' });
  });

  test('light and dark themes follow the OS, and text stays readable in both', async () => {
    const bg = (p: ConsolePage) => p.page.evaluate('getComputedStyle(document.body).backgroundColor') as Promise<string>;
    assert.equal(await bg(light), 'rgb(243, 244, 246)');
    assert.equal(await bg(dark), 'rgb(15, 17, 20)');
    const selector = '.conn, .ident, .budget-line, .card-head h2, .pill, .record-title, .record-meta, .record-reason, .badge, .empty, .btn';
    for (const p of [light, dark]) {
      const ratios = await contrastOf(p.page, selector);
      assert.ok(ratios.length >= 10, `measured ${ratios.length} texts`);
      const poor = ratios.filter((r) => r.ratio < 4.5);
      assert.deepEqual(poor, [], 'WCAG AA contrast for normal text');
    }
    await screenshot(dark.page, 'recent-dark');
  });
});
