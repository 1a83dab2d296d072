/**
 * AI tasks as the local user sees them, in real Chromium against the real core and the real Claude Code
 * CLI (talking to a scripted model): the budget and the live tool use while one runs, Stop, and the
 * approval cards with Allow, Deny and the countdown that denies by itself.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { controlNames, openConsole, screenshot, tabTo, waitForText, type ConsolePage } from '../support/e2e-page.js';
import { E2EWorld, skipReasonPrinted, type E2EAgent } from '../support/e2e-world.js';

const skip = skipReasonPrinted();
const SLOW_TURN_MS = 8_000;
const APPROVAL_SECONDS = 8;

describe('AI tasks in the window', { skip, timeout: 60_000 }, () => {
  let world: E2EWorld;

  before(async () => {
    world = await E2EWorld.start();
    world.script = (task, turn) => {
      if (!task.includes('slowly')) return { text: 'All good: the sync log has no errors.' };
      return turn === 0 ? { toolUse: { name: 'Read', input: { file_path: path.join(world.base, 'logs', 'sync.log') } } } : { text: 'Done.', delayMs: SLOW_TURN_MS };
    };
  });

  after(async () => {
    await world?.close();
  });

  describe('a running task', () => {
    let a: E2EAgent;
    let light: ConsolePage;
    let dark: ConsolePage;

    before(async () => {
      a = await world.startAgent({ config: { claude: { allowedTools: ['Read(./**)'], maxTasksPerHour: 1 } } });
      [light, dark] = await Promise.all([openConsole(world.browser, a.console.url), openConsole(world.browser, a.console.url, { colorScheme: 'dark' })]);
    });

    test('shows its text, technician, folder, live tool use and ticking time; the budget counts it; Stop ends it', async () => {
      const { page } = light;
      await waitForText(page.locator('.budget-line'), /^1 of 1 AI tasks left this hour$/);
      await waitForText(page.locator('.budget .pill'), /^0 of 2 running$/);
      const cmd = world.aiTask(a.id, 'Review the sync log slowly', { requested_by: 'bob', command_type: { claude_task: { task: 'Review the sync log slowly', working_directory: 'logs' } } });

      const card = page.locator('.task', { hasText: 'Review the sync log slowly' });
      await waitForText(card.locator('.tail'), /^Tool\s*Read logs\/sync\.log$/, 20_000);
      assert.equal(await card.locator('.kind').textContent(), 'AI task');
      assert.equal(await card.locator('dd').first().textContent(), 'bob');
      assert.equal(await card.locator('dd.path').textContent(), path.join(world.base, 'logs'));
      const nextSlot = a.agent.snapshot().claude.budget.next_slot_at;
      assert.ok(nextSlot);
      const at = new Date(nextSlot).toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' });
      await waitForText(page.locator('.budget-line'), new RegExp(`^No AI tasks left this hour — next slot frees at ${at}$`));
      await waitForText(page.locator('.budget .pill'), /^1 of 2 running$/);
      const t0 = await card.locator('.elapsed').textContent();
      await waitForText(card.locator('.elapsed'), new RegExp(`^Running for (?!${t0?.replace('Running for ', '')}$)\\d+:\\d\\d$`), 2500);
      await waitForText(dark.page.locator('.task .tail'), /Read logs\/sync\.log/);
      await screenshot(page, 'running-light');
      await screenshot(dark.page, 'running-dark');

      await page.getByRole('button', { name: 'Stop AI task: Review the sync log slowly' }).click();
      const r = await world.server.waitForResult(cmd, 15_000);
      assert.equal(r.exit_code, -1);
      assert.equal(r.status, 'cancelled');
      assert.equal(r.reason, 'stopped by the local user');
      await card.waitFor({ state: 'detached' });
      await waitForText(page.locator('.running .empty'), /Nothing is running/);
      await waitForText(page.locator('.budget .pill'), /^0 of 2 running$/);
      const record = page.locator('.record', { hasText: 'Review the sync log slowly' });
      await waitForText(record.locator('summary'), /Cancelled.*stopped by the local user/s);
      assert.deepEqual(light.problems, []);
    });
  });

  describe('approval cards', () => {
    let a: E2EAgent;
    let light: ConsolePage;
    let dark: ConsolePage;

    before(async () => {
      a = await world.startAgent({ config: { approvalRequired: true, approvalTimeoutSeconds: APPROVAL_SECONDS } });
      [light, dark] = await Promise.all([openConsole(world.browser, a.console.url), openConsole(world.browser, a.console.url, { colorScheme: 'dark' })]);
    });

    test('Allow runs the task, Deny and no answer refuse it; the server hears each decision', async () => {
      const { page } = light;
      const ignored = world.aiTask(a.id, 'Summarise the sync log while nobody answers');
      const allowed = world.aiTask(a.id, 'Check the sync log for errors', { requested_by: 'alice' });
      const cards = page.locator('.approval');
      await waitForText(page.locator('.approvals .pill'), /^2$/);
      assert.equal(await page.locator('.approvals-panel').getAttribute('aria-live'), 'polite', 'arrivals are announced');
      const card = cards.filter({ hasText: 'Check the sync log for errors' });
      assert.equal(await card.locator('dd').first().textContent(), 'alice');
      assert.equal(await card.locator('dd.path').textContent(), world.base);
      await waitForText(card.locator('.countdown'), /^Auto-deny in 0:0[0-8]$/);
      await waitForText(dark.page.locator('.approvals .pill'), /^2$/);
      await screenshot(page, 'approval-light');
      await screenshot(dark.page, 'approval-dark');
      const unnamed = (await controlNames(page)).filter((c) => !c.name);
      assert.deepEqual(unnamed, [], 'every control has an accessible name');

      await page.getByRole('button', { name: /^Allow AI task from alice: Check the sync log/ }).click();
      const denied = world.aiTask(a.id, 'Tidy the temp folder');
      await page.getByRole('button', { name: /^Deny AI task from tech: Tidy the temp folder/ }).click();

      const [allowedResult, deniedResult, ignoredResult] = await Promise.all([
        world.server.waitForResult(allowed, 30_000),
        world.server.waitForResult(denied, 10_000),
        world.server.waitForResult(ignored, (APPROVAL_SECONDS + 10) * 1000),
      ]);
      assert.equal(allowedResult.exit_code, 0, JSON.stringify(allowedResult));
      assert.equal(deniedResult.exit_code, -1);
      assert.match(deniedResult.reason ?? '', /^denied by the local user\.$/);
      assert.equal(ignoredResult.exit_code, -1);
      assert.match(ignoredResult.reason ?? '', /no answer within 8 s/);

      const history = await world.server.requestHistory(a.id, 20);
      const decisionOf = (id: string) => history.find((r) => r.id === id)?.decisions[0];
      assert.deepEqual([decisionOf(allowed)?.decision, decisionOf(allowed)?.by], ['allow', 'user']);
      assert.deepEqual([decisionOf(denied)?.decision, decisionOf(denied)?.by], ['deny', 'user']);
      assert.deepEqual([decisionOf(ignored)?.decision, decisionOf(ignored)?.by], ['deny (no answer)', 'timeout']);

      await page.locator('.approvals').waitFor({ state: 'hidden' });
      await waitForText(page.locator('.record', { hasText: 'Tidy the temp folder' }).locator('summary'), /Refused.*Denied by you/s);
      await waitForText(page.locator('.record', { hasText: 'while nobody answers' }).locator('summary'), /Refused.*Denied: no answer in time/s);
      await waitForText(page.locator('.record', { hasText: 'Check the sync log for errors' }).locator('summary'), /Succeeded.*Allowed by you/s);
    });

    test('keyboard alone: Tab to Allow and press Space', async () => {
      const { page } = light;
      await page.reload();
      await page.locator('h1.host').filter({ hasNotText: 'GuruRMM Agent' }).waitFor();
      const cmd = world.aiTask(a.id, 'Count the lines of the sync log');
      await page.locator('.approval').waitFor();
      await tabTo(page, /button "Allow AI task from tech: Count the lines of the sync log/);
      await page.keyboard.press('Space');
      const r = await world.server.waitForResult(cmd, 30_000);
      assert.equal(r.exit_code, 0, JSON.stringify(r));
      assert.equal(r.stdout.trim(), 'All good: the sync log has no errors.');
    });

    test('the filter shows only AI tasks, or only refused ones', async () => {
      const { page } = light;
      const select = page.getByRole('combobox', { name: 'Show' });
      await select.selectOption('refused');
      await waitForText(page.locator('.record-list'), /^(?!.*Succeeded).*Tidy the temp folder/s);
      const refusedTitles = await page.locator('.record-title').allTextContents();
      assert.deepEqual(new Set(refusedTitles), new Set(['Tidy the temp folder', 'Summarise the sync log while nobody answers']));
      await select.selectOption('ai');
      await waitForText(page.locator('.record-list'), /Count the lines of the sync log/);
      assert.equal(await page.locator('.record').count(), 4);
      await select.selectOption('shell');
      await waitForText(page.locator('.recent .empty'), /^No shell, PowerShell or Python commands yet\.$/);
      assert.equal(await page.locator('.record').count(), 0);
    });
  });
});
