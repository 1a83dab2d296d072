/**
 * Consent in the window, in real Chromium against the real core (SPEC §5): with shellApproval consent a
 * technician's shell command waits on a card showing the whole command, Allow runs it and Deny refuses
 * it; the user can raise the level (never below the policy's); and approvalGrantMinutes lets one
 * technician's AI tasks start without a card until the grant ends or is revoked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { controlNames, openConsole, screenshot, waitForText, type ConsolePage } from '../support/e2e-page.js';
import { E2EWorld, skipReasonPrinted, type E2EAgent } from '../support/e2e-world.js';

const skip = skipReasonPrinted();
const LABEL = 'Before a technician’s command runs';
/** A long command whose tail matters: the card must show it whole. */
const LONG = `echo consent-ok && printf '%s\\n' ${'word '.repeat(40)}&& echo tail-of-the-command-that-must-be-seen`;

/** Counts approval cards added from now on (to show that none appeared). */
async function watchCards(page: Page): Promise<void> {
  await page.evaluate(`window.cardsSeen = 0; new MutationObserver((ms) => { for (const m of ms) window.cardsSeen += m.addedNodes.length; })
    .observe(document.querySelector('.approval-list'), { childList: true });`);
}

describe('consent for shell commands and grants for AI tasks', { skip, timeout: 90_000 }, () => {
  let world: E2EWorld;
  let ask: E2EAgent;
  let off: E2EAgent;
  let grants: E2EAgent;
  let askLight: ConsolePage;
  let askDark: ConsolePage;

  before(async () => {
    world = await E2EWorld.start();
    [ask, off, grants] = await Promise.all([
      world.startAgent({ config: { shellApproval: 'consent' } }),
      world.startAgent({ config: { shellApproval: 'off' } }),
      world.startAgent({ config: { approvalRequired: true, approvalGrantMinutes: 60 } }),
    ]);
    [askLight, askDark] = await Promise.all([openConsole(world.browser, ask.console.url), openConsole(world.browser, ask.console.url, { colorScheme: 'dark' })]);
  });

  after(async () => {
    await world?.close();
  });

  test('a shell command shows a card with the whole command; Allow runs it, Deny refuses it', async () => {
    const { page } = askLight;
    const cmd = world.shell(ask.id, LONG, { requested_by: 'alice' });
    const card = page.locator('.approval');
    await card.waitFor({ timeout: 20_000 });
    assert.equal(await card.locator('.kind').textContent(), 'Command');
    assert.equal(await card.locator('.approval-command').textContent(), LONG, 'the whole command is on the card');
    const box: Record<string, number> = await page.evaluate(
      `(() => { const e = document.querySelector('.approval-command'); return { sw: e.scrollWidth, cw: e.clientWidth }; })()`,
    );
    assert.ok(box.sw! <= box.cw!, `the command wraps: ${JSON.stringify(box)}`);
    assert.equal(await card.locator('dd').first().textContent(), 'alice');
    assert.equal(await card.locator('.btn-grant').count(), 0, 'no grant is offered for a command');
    assert.deepEqual((await controlNames(page)).filter((c) => !c.name), [], 'every control has an accessible name');
    await askDark.page.locator('.approval').waitFor();
    await screenshot(page, 'shell-consent-light');
    await screenshot(askDark.page, 'shell-consent-dark');

    await page.getByRole('button', { name: /^Allow Command from alice: echo consent-ok/ }).click();
    const r = await world.server.waitForResult(cmd, 20_000);
    assert.equal(r.exit_code, 0, JSON.stringify(r));
    assert.match(r.stdout, /consent-ok[\s\S]*tail-of-the-command-that-must-be-seen/);
    await card.waitFor({ state: 'detached' });

    const denied = world.shell(ask.id, 'echo should-not-run', { requested_by: 'bob' });
    await page.getByRole('button', { name: 'Deny Command from bob: echo should-not-run' }).click({ timeout: 20_000 });
    const d = await world.server.waitForResult(denied, 20_000);
    assert.equal(d.exit_code, -1, JSON.stringify(d));
    assert.match(d.reason ?? '', /denied by the local user/);
    assert.doesNotMatch(d.stdout, /should-not-run/);
    assert.deepEqual(askLight.problems, []);
  });

  test('the policy sets the floor: Off and Notify me are disabled when it says consent', async () => {
    const select = askLight.page.getByLabel(LABEL);
    assert.equal(await select.inputValue(), 'consent');
    assert.equal(await select.locator('option[value="off"]').isDisabled(), true);
    assert.equal(await select.locator('option[value="notify"]').isDisabled(), true);
    assert.equal(await select.locator('option[value="consent"]').isDisabled(), false);
  });

  test('with policy off the user raises it to Ask me, and the next command waits for a card', async () => {
    const c = await openConsole(world.browser, off.console.url);
    try {
      const { page } = c;
      const select = page.getByLabel(LABEL);
      assert.equal(await select.inputValue(), 'off');
      assert.equal(await select.locator('option[value="off"]').isDisabled(), false);
      const before = world.shell(off.id, 'echo runs-at-once');
      assert.equal((await world.server.waitForResult(before, 20_000)).exit_code, 0);

      await select.selectOption({ label: 'Ask me' });
      await waitForText(page.locator('.toast'), /waits for your Allow/);
      assert.equal(off.agent.snapshot().shellApproval.effective, 'consent');
      const cmd = world.shell(off.id, 'echo after-raising');
      const card = page.locator('.approval');
      await card.waitFor({ timeout: 20_000 });
      assert.equal(await card.locator('.approval-command').textContent(), 'echo after-raising');
      await page.getByRole('button', { name: 'Allow Command from tech: echo after-raising' }).click();
      assert.equal((await world.server.waitForResult(cmd, 20_000)).exit_code, 0);

      // Back to Off: the user may lower what they raised (never below the policy).
      await select.selectOption({ label: 'Off' });
      await waitForText(page.locator('.toast'), /run without telling you/);
      assert.equal(off.agent.snapshot().shellApproval.effective, 'off');
      assert.deepEqual(c.problems, []);
    } finally {
      await c.close();
    }
  });

  test('a grant lets the same technician’s next AI task start without a card, not another’s; Revoke ends it', async () => {
    const [light, dark] = await Promise.all([openConsole(world.browser, grants.console.url), openConsole(world.browser, grants.console.url, { colorScheme: 'dark' })]);
    try {
      const { page } = light;
      const first = world.aiTask(grants.id, 'Check the sync log', { requested_by: 'alice' });
      const grantButton = page.getByRole('button', { name: "Allow alice's AI tasks for 60 min" });
      await grantButton.waitFor({ timeout: 20_000 });
      await screenshot(page, 'grant-offer-light');
      await grantButton.click();
      assert.equal((await world.server.waitForResult(first, 60_000)).exit_code, 0);
      const grant = page.locator('.grant');
      await waitForText(grant, /^Allowing alice's AI tasks until \d{1,2}:\d{2}/);
      await dark.page.locator('.grant').waitFor();
      await screenshot(page, 'grant-light');
      await screenshot(dark.page, 'grant-dark');

      await watchCards(page);
      const second = world.aiTask(grants.id, 'Check the sync log again', { requested_by: 'alice' });
      const r2 = await world.server.waitForResult(second, 60_000);
      assert.equal(r2.exit_code, 0, JSON.stringify(r2));
      assert.equal(await page.evaluate('window.cardsSeen'), 0, 'no card for alice while the grant lasts');
      const history = await world.server.requestHistory(grants.id, 20);
      assert.ok(history.find((h) => h.id === second)?.decisions.some((d) => d.by === 'grant'), 'recorded as allowed by the grant');

      const other = world.aiTask(grants.id, 'Check the sync log for bob', { requested_by: 'bob' });
      await page.getByRole('button', { name: /^Deny AI task from bob/ }).click({ timeout: 20_000 });
      assert.match((await world.server.waitForResult(other, 20_000)).reason ?? '', /denied by the local user/);

      await page.getByRole('button', { name: 'Revoke the grant for alice' }).click();
      await grant.waitFor({ state: 'detached' });
      const third = world.aiTask(grants.id, 'Check the sync log a third time', { requested_by: 'alice' });
      await page.getByRole('button', { name: /^Allow AI task from alice: Check the sync log a third time/ }).click({ timeout: 20_000 });
      assert.equal((await world.server.waitForResult(third, 60_000)).exit_code, 0);
      assert.deepEqual(light.problems, []);
    } finally {
      await Promise.all([light.close(), dark.close()]);
    }
  });
});
