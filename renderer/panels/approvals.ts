/**
 * AI tasks and (shellApproval: consent) shell commands waiting for the local user (SPEC §5, §6): the task
 * or the whole command, who asked, where it would run, Allow / Deny (and, where the policy offers one, a
 * time-boxed grant for that technician's AI tasks), and the time left before the agent denies it by itself.
 * New cards are announced politely.
 */
import type { ApprovalView } from '../../src/contracts/bridge.js';
import { h, setAttr, setDisabled, setText, show } from '../dom.js';
import { clockTime, stopwatch } from '../format.js';
import { KeyedList, type Row } from '../keyed-list.js';
import type { Panel, PanelContext } from '../panel.js';
import { canAct, type ViewState } from '../view-state.js';
import { kindBadge, setKind, whoWhere } from './task-parts.js';

interface ApprovalItem {
  approval: ApprovalView;
  now: number;
  enabled: boolean;
}

export function createApprovalsPanel(ctx: PanelContext): Panel {
  const count = h('span', { class: 'pill pill-attention' });
  const list = h('div', { class: 'approval-list' });
  const section = h(
    'section',
    { class: 'card approvals', 'aria-labelledby': 'approvals-title', hidden: true },
    h('div', { class: 'card-head' }, h('h2', { id: 'approvals-title', text: 'Waiting for your approval' }), count),
    list,
  );
  // The live region stays in the page while empty, so a card's arrival is announced.
  const el = h('div', { class: 'approvals-panel', 'aria-live': 'polite', 'aria-relevant': 'additions' }, section);
  const rows = new KeyedList<ApprovalItem>(list, (i) => i.approval.commandId, (i) => createApprovalCard(ctx, i));

  function render(state: ViewState): void {
    const waiting = state.snapshot?.awaitingApproval ?? [];
    const enabled = canAct(state);
    rows.sync(waiting.map((approval) => ({ approval, now: state.now, enabled })));
    show(section, waiting.length > 0);
    setText(count, String(waiting.length));
  }

  return { el, render };
}

function createApprovalCard(ctx: PanelContext, first: ApprovalItem): Row<ApprovalItem> {
  const a = first.approval;
  const expiresAt = Date.parse(a.expiresAt);
  const total = Math.max(1000, expiresAt - first.now);
  const isShell = a.kind === 'shell';
  const badge = kindBadge();
  if (isShell) setText(badge, 'Command');
  else setKind(badge, 'claude_task');
  const countdown = h('span', { class: 'countdown', 'aria-hidden': 'true' });
  const spoken = h('span', { class: 'visually-hidden', text: `Denied automatically at ${clockTime(expiresAt)} unless you answer.` });
  // A command is shown whole, wrapped and scrollable: a hidden tail could be what it really does.
  const text = isShell
    ? h('pre', { class: 'ask-detail approval-command', tabindex: '0', 'aria-label': 'The whole command' }, a.task)
    : h('p', { class: 'task-text', text: a.task });
  const meta = whoWhere();
  meta.set(a.requestedBy, a.workingDirectory);
  const what = isShell ? 'Command' : 'AI task';
  const subject = `${what}${a.requestedBy ? ` from ${a.requestedBy}` : ''}: ${a.task.slice(0, 80)}`;
  const allow = h('button', { type: 'button', class: 'btn btn-allow', 'aria-label': `Allow ${subject}`, text: 'Allow' });
  const deny = h('button', { type: 'button', class: 'btn btn-deny', 'aria-label': `Deny ${subject}`, text: 'Deny' });
  const grantText = !isShell && a.grantMinutes && a.requestedBy ? `Allow ${a.requestedBy}'s AI tasks for ${a.grantMinutes} min` : null;
  const grant = grantText ? h('button', { type: 'button', class: 'btn btn-grant', text: grantText }) : null;
  const fill = h('span', { class: 'countdown-fill' });
  const bar = h('div', { class: 'countdown-bar', 'aria-hidden': 'true' }, fill);
  const el = h(
    'article',
    { class: `approval approval-${a.kind}`, 'aria-label': `${subject}. Waiting for your approval.` },
    h('div', { class: 'task-head' }, badge, countdown, spoken),
    text,
    meta.el,
    bar,
    h('div', { class: 'approval-actions' }, allow, deny, ...(grant ? [grant] : [])),
  );
  let busy = false;
  let last = first;

  async function decide(verb: 'approve' | 'deny' | 'grant'): Promise<void> {
    busy = true;
    update(last);
    const noun = isShell ? 'command' : 'task';
    const ok = await ctx.act(verb === 'deny' ? `Could not deny the ${noun}.` : `Could not allow the ${noun}.`, () =>
      verb === 'deny' ? ctx.bridge.deny({ commandId: a.commandId }) : ctx.bridge.approve({ commandId: a.commandId, grant: verb === 'grant' }),
    );
    if (ok === false) ctx.say(`That ${noun} is no longer waiting for an answer.`);
    busy = false;
    update(last);
  }
  allow.addEventListener('click', () => void decide('approve'));
  deny.addEventListener('click', () => void decide('deny'));
  grant?.addEventListener('click', () => void decide('grant'));

  function update(item: ApprovalItem): void {
    last = item;
    const left = expiresAt - item.now;
    const expired = left <= 0;
    setText(countdown, expired ? 'Denying…' : `Auto-deny in ${stopwatch(left)}`);
    const width = `${Math.max(0, Math.min(100, (left / total) * 100)).toFixed(1)}%`;
    if (fill.style.width !== width) fill.style.width = width;
    el.classList.toggle('is-urgent', left < 15_000);
    setDisabled(allow, busy || expired || !item.enabled);
    setDisabled(deny, busy || expired || !item.enabled);
    if (grant) setDisabled(grant, busy || expired || !item.enabled);
    setAttr(el, 'aria-busy', busy ? 'true' : null);
  }

  return { el, update };
}
