/**
 * Approving an AI task's actions one at a time (claude.askTools), in real Chromium against the real core
 * and the real Claude Code CLI (talking to a scripted model): the ask card shows exactly what would run,
 * Allow once / Deny / Deny and stop the task / no answer each reach the model and the history, and what
 * the policy does not list, or what nobody is there to answer, is denied without a card.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Turn } from '../support/fake-anthropic.js';
import { controlNames, openConsole, screenshot, waitForText, type ConsolePage } from '../support/e2e-page.js';
import { E2EWorld, skipReasonPrinted, type E2EAgent } from '../support/e2e-world.js';

const skip = skipReasonPrinted();
const ASK_SECONDS = 8;
/** A single systemctl command, padded past 600 characters, whose tail matters. */
const LONG_COMMAND = `systemctl restart nginx.service --no-block --job-mode=replace --show-transaction --property=Description=${'x'.repeat(540)} --message=tail-of-the-command-that-must-be-seen`;

describe('asking the local user about each action of an AI task', { skip, timeout: 60_000 }, () => {
  let world: E2EWorld;
  let a: E2EAgent;
  let light: ConsolePage;
  let dark: ConsolePage;
  /** The model's first answer per task text (each task then finishes with "Done."). */
  const firstTurn = new Map<string, Turn | Turn[]>();

  const file = (name: string): string => path.join(world.base, 'conf', name);
  // The CLI edits only a file it has read in this task, so the model reads it first (Read is allowed).
  const editOf = (name: string): Turn[] => [
    { toolUse: { name: 'Read', input: { file_path: file(name) } } },
    { toolUse: { name: 'Edit', input: { file_path: file(name), old_string: 'port = 80', new_string: 'port = 8080' } } },
  ];
  /** What the model was told about the edit (its third request answers the second tool use). */
  const afterEdit = (task: string): string => requestsOf(task)[2]?.lastUserText ?? '';
  /** The model requests of one task, in order. */
  const requestsOf = (task: string) =>
    world.model.requests.filter((r) => JSON.stringify((r.body.messages as { content?: unknown }[] | undefined)?.[0]?.content ?? '').includes(task));
  const decisionsOf = async (cmd: string) => (await world.server.requestHistory(a.id, 20)).find((r) => r.id === cmd)?.decisions ?? [];

  before(async () => {
    world = await E2EWorld.start();
    mkdirSync(path.join(world.base, 'conf'), { recursive: true });
    world.script = (task, turn) => {
      for (const [key, turns] of firstTurn) {
        if (!task.includes(key)) continue;
        const list = Array.isArray(turns) ? turns : [turns];
        return list[turn] ?? { text: 'Done.' };
      }
      return { text: 'Done.' };
    };
    a = await world.startAgent({ config: { claude: { allowedTools: ['Read(./**)'], askTools: ['Edit(./**)', 'Bash(systemctl restart:*)'], askTimeoutSeconds: ASK_SECONDS } } });
    [light, dark] = await Promise.all([openConsole(world.browser, a.console.url), openConsole(world.browser, a.console.url, { colorScheme: 'dark' })]);
  });

  after(async () => {
    await world?.close();
  });

  test('an Edit shows its change; Allow once applies it and the history records the decision', async () => {
    const { page } = light;
    writeFileSync(file('allow.conf'), 'port = 80\n');
    const task = 'Move the web server to port 8080';
    firstTurn.set(task, editOf('allow.conf'));
    const cmd = world.aiTask(a.id, task, { requested_by: 'alice' });

    const card = page.locator('.ask');
    await card.waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('#asks-title').textContent(), 'An AI task wants to act');
    assert.equal(await card.locator('.ask-summary').textContent(), 'Editconf/allow.conf');
    assert.equal(await card.locator('.ask-detail').textContent(), 'In conf/allow.conf:\n- port = 80\n+ port = 8080');
    assert.equal(await card.locator('.ask-task span').last().textContent(), task);
    assert.equal(await card.locator('dd').first().textContent(), 'alice');
    assert.equal(await card.locator('dd.path').textContent(), world.base);
    await waitForText(card.locator('.countdown'), /^Auto-deny in 0:0[0-8]$/);
    await waitForText(page.locator('.asks-panel [role="status"]'), /^An AI task from alice wants to act: Edit conf\/allow\.conf\. Allow once, deny, or deny and stop the task\.$/);
    assert.deepEqual((await controlNames(page)).filter((c) => !c.name), [], 'every control has an accessible name');
    await dark.page.locator('.ask').waitFor();
    await screenshot(page, 'ask-light');
    await screenshot(dark.page, 'ask-dark');

    await page.getByRole('button', { name: 'Allow once: Edit conf/allow.conf' }).click();
    const r = await world.server.waitForResult(cmd, 30_000);
    assert.equal(r.exit_code, 0, JSON.stringify(r));
    assert.equal(readFileSync(file('allow.conf'), 'utf8'), 'port = 8080\n');
    assert.ok((await decisionsOf(cmd)).some((d) => d.decision === 'allow: Edit conf/allow.conf' && d.by === 'user'), JSON.stringify(await decisionsOf(cmd)));
    await card.waitFor({ state: 'detached' });
    assert.equal(await page.locator('.asks').isHidden(), true);
    assert.deepEqual(light.problems, []);
  });

  test('Deny leaves the file untouched and the model is told', async () => {
    const { page } = light;
    writeFileSync(file('deny.conf'), 'port = 80\n');
    const task = 'Change the port in deny.conf';
    firstTurn.set(task, editOf('deny.conf'));
    const cmd = world.aiTask(a.id, task);
    await page.getByRole('button', { name: 'Deny: Edit conf/deny.conf' }).click({ timeout: 20_000 });
    const r = await world.server.waitForResult(cmd, 30_000);
    assert.equal(r.exit_code, 0, JSON.stringify(r));
    assert.equal(readFileSync(file('deny.conf'), 'utf8'), 'port = 80\n');
    assert.match(afterEdit(task), /Denied by the local user\./);
    assert.ok((await decisionsOf(cmd)).some((d) => d.decision === 'deny: Edit conf/deny.conf' && d.by === 'user'));
  });

  test('no answer in time is a denial', async () => {
    const { page } = light;
    writeFileSync(file('late.conf'), 'port = 80\n');
    const task = 'Change the port in late.conf';
    firstTurn.set(task, editOf('late.conf'));
    const cmd = world.aiTask(a.id, task);
    const card = page.locator('.ask', { hasText: 'late.conf' });
    await card.waitFor({ timeout: 20_000 });
    await card.waitFor({ state: 'detached', timeout: (ASK_SECONDS + 3) * 1000 });
    const r = await world.server.waitForResult(cmd, 30_000);
    assert.equal(r.exit_code, 0, JSON.stringify(r));
    assert.equal(readFileSync(file('late.conf'), 'utf8'), 'port = 80\n');
    assert.match(afterEdit(task), new RegExp(`did not answer within ${ASK_SECONDS} s`));
    assert.ok((await decisionsOf(cmd)).some((d) => d.by === 'timeout'));
  });

  test('a Bash ask shows the whole long command, wrapped and scrollable; Deny and stop cancels the task', async () => {
    const { page } = light;
    const task = 'Restart the web server';
    firstTurn.set(task, { toolUse: { name: 'Bash', input: { command: LONG_COMMAND, description: 'Restart nginx' } } });
    const cmd = world.aiTask(a.id, task);
    const detail = page.locator('.ask .ask-detail');
    await detail.waitFor({ timeout: 20_000 });
    assert.ok(LONG_COMMAND.length > 600);
    assert.equal(await detail.textContent(), LONG_COMMAND, 'the whole command is in the card');
    const box: Record<string, number> = await page.evaluate(
      `(() => { const e = document.querySelector('.ask .ask-detail'); return { sw: e.scrollWidth, cw: e.clientWidth, sh: e.scrollHeight, ch: e.clientHeight }; })()`,
    );
    assert.ok(box.sw! <= box.cw!, `the command wraps instead of running off the side: ${JSON.stringify(box)}`);
    assert.ok(box.sh! > box.ch!, `a long command scrolls: ${JSON.stringify(box)}`);
    await page.evaluate(`document.querySelector('.ask .ask-detail').scrollTop = 1e6`);
    await screenshot(page, 'ask-bash-light');

    await page.getByRole('button', { name: /^Deny and stop the task: Bash: systemctl restart nginx\.service/ }).click();
    const r = await world.server.waitForResult(cmd, 30_000);
    assert.equal(r.status, 'cancelled', JSON.stringify(r));
    assert.equal(r.reason, 'stopped by the local user');
    await page.locator('.ask').waitFor({ state: 'detached' });
  });

  test('an action outside both lists never reaches the user; the model is told the policy does not allow it', async () => {
    const { page } = light;
    const victim = path.join(world.base, 'keep');
    mkdirSync(victim, { recursive: true });
    const task = 'Clean up the keep folder';
    firstTurn.set(task, [
      { toolUse: { name: 'Bash', input: { command: `rm -rf ${victim}`, description: 'Clean up' } } },
      // Chained after an askable prefix: still one command the policy does not list.
      { toolUse: { name: 'Bash', input: { command: `systemctl restart nginx; rm -rf ${victim}`, description: 'Restart and clean up' } } },
    ]);
    await page.evaluate(`window.asksSeen = 0; new MutationObserver((ms) => { for (const m of ms) window.asksSeen += m.addedNodes.length; })
      .observe(document.querySelector('.asks .ask-list'), { childList: true });`);
    const cmd = world.aiTask(a.id, task);
    const r = await world.server.waitForResult(cmd, 30_000);
    assert.equal(r.exit_code, 0, JSON.stringify(r));
    assert.equal(await page.evaluate('window.asksSeen'), 0, 'no ask card appeared');
    assert.ok(existsSync(victim));
    const [, second, third] = requestsOf(task);
    assert.match(second?.lastUserText ?? '', /the agent's policy does not allow this action/);
    assert.match(third?.lastUserText ?? '', /the agent's policy does not allow this action/);
    assert.ok((await decisionsOf(cmd)).every((d) => d.by === 'policy'));
  });

  test('with no window or console open, an ask is denied at once', async () => {
    await Promise.all([light.close(), dark.close()]);
    // The console sees the WebSockets close; the CLI takes longer than that to start and ask.
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(file('alone.conf'), 'port = 80\n');
    const task = 'Change the port in alone.conf';
    firstTurn.set(task, editOf('alone.conf'));
    const started = Date.now();
    const cmd = world.aiTask(a.id, task);
    const r = await world.server.waitForResult(cmd, 30_000);
    assert.equal(r.exit_code, 0, JSON.stringify(r));
    assert.ok(Date.now() - started < ASK_SECONDS * 1000, 'it did not wait for an answer');
    assert.equal(readFileSync(file('alone.conf'), 'utf8'), 'port = 80\n');
    assert.match(afterEdit(task), /no window or console is open/);
    assert.ok((await decisionsOf(cmd)).some((d) => d.by === 'no window'));
  });
});
