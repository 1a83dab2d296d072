/**
 * Actions an AI task wants to take, waiting for the local user (SPEC §5 "Approve each action"): who
 * asked, the task, and exactly what would run (the whole command; the path and the change for an edit),
 * with Allow once / Deny / Deny and stop the task and the time left before the agent denies it itself.
 * The command and the change come from the model, so they only ever enter the page as text.
 */
import type { AskView } from '../../src/contracts/bridge.js';
import { h, setAttr, setDisabled, setText, show } from '../dom.js';
import { clockTime, stopwatch } from '../format.js';
import { KeyedList, type Row } from '../keyed-list.js';
import type { Panel, PanelContext } from '../panel.js';
import { canAct, type ViewState } from '../view-state.js';
import { kindBadge, setKind, whoWhere } from './task-parts.js';

type AskDecision = 'allow' | 'deny' | 'deny-and-stop';

interface AskItem {
  ask: AskView;
  now: number;
  enabled: boolean;
}

const DIFF_TOOLS = new Set(['Edit', 'MultiEdit']);
const FAILURE: Record<AskDecision, string> = {
  allow: 'Could not allow the action.',
  deny: 'Could not deny the action.',
  'deny-and-stop': 'Could not deny the action and stop the task.',
};

export function createAsksPanel(ctx: PanelContext): Panel {
  const count = h('span', { class: 'pill pill-attention' });
  const list = h('div', { class: 'ask-list' });
  const section = h(
    'section',
    { class: 'card asks', 'aria-labelledby': 'asks-title', hidden: true },
    h('div', { class: 'card-head' }, h('h2', { id: 'asks-title', text: 'An AI task wants to act' }), count),
    list,
  );
  // A short sentence per arrival: a live region around the cards would read out the whole command.
  const announce = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const el = h('div', { class: 'asks-panel' }, section, announce);
  const rows = new KeyedList<AskItem>(list, (i) => i.ask.askId, (i) => createAskCard(ctx, i));
  const seen = new Set<string>();

  function render(state: ViewState): void {
    const asks = state.snapshot?.asks ?? [];
    const enabled = canAct(state);
    rows.sync(asks.map((ask) => ({ ask, now: state.now, enabled })));
    show(section, asks.length > 0);
    setText(count, String(asks.length));
    const fresh = asks.filter((a) => !seen.has(a.askId));
    for (const id of seen) if (!asks.some((a) => a.askId === id)) seen.delete(id);
    for (const a of fresh) seen.add(a.askId);
    if (fresh.length) setText(announce, fresh.map((a) => `${subjectOf(a)}. Allow once, deny, or deny and stop the task.`).join(' '));
  }

  return { el, render };
}

function subjectOf(a: AskView): string {
  return `An AI task${a.requestedBy ? ` from ${a.requestedBy}` : ''} wants to act: ${a.summary}`;
}

function createAskCard(ctx: PanelContext, first: AskItem): Row<AskItem> {
  const a = first.ask;
  const expiresAt = Date.parse(a.expiresAt);
  const total = Math.max(1000, expiresAt - first.now);
  const badge = kindBadge();
  setKind(badge, 'claude_task');
  const countdown = h('span', { class: 'countdown', 'aria-hidden': 'true' });
  const spoken = h('span', { class: 'visually-hidden', text: `Denied automatically at ${clockTime(expiresAt)} unless you answer.` });
  // The tag names the tool, so the line after it drops the summary's "Bash: " / "Edit " lead.
  const short = a.summary.replace(new RegExp(`^${a.tool.replace(/[^\w]/g, '')}:? `), '');
  const what = h(
    'p',
    { class: `ask-summary${a.tool === 'Bash' ? ' is-command' : ''}` },
    h('span', { class: 'ask-tool', text: a.tool }),
    h('span', { class: 'ask-summary-text', text: short || a.summary }),
  );
  const kindOfDetail = a.tool === 'Bash' ? 'The whole command' : DIFF_TOOLS.has(a.tool) ? 'The file and the change' : 'Exactly what it will do';
  // Focusable so a long command can be scrolled with the keyboard.
  const detail = h('pre', { class: 'ask-detail', tabindex: '0', role: 'region', 'aria-label': kindOfDetail });
  fillDetail(detail, a);
  const task = h('p', { class: 'ask-task' }, h('span', { class: 'ask-label', text: 'Task' }), h('span', { text: a.task }));
  const meta = whoWhere();
  meta.set(a.requestedBy, a.workingDirectory);
  const label = (verb: string): string => `${verb}: ${a.summary}`;
  const allow = h('button', { type: 'button', class: 'btn btn-allow', 'aria-label': label('Allow once'), text: 'Allow once' });
  const deny = h('button', { type: 'button', class: 'btn btn-deny', 'aria-label': label('Deny'), text: 'Deny' });
  const stop = h('button', { type: 'button', class: 'btn btn-danger-quiet ask-stop', 'aria-label': label('Deny and stop the task'), text: 'Deny and stop the task' });
  const fill = h('span', { class: 'countdown-fill' });
  const bar = h('div', { class: 'countdown-bar', 'aria-hidden': 'true' }, fill);
  const el = h(
    'article',
    { class: 'ask', 'aria-label': `${subjectOf(a)}. Waiting for your answer.` },
    h('div', { class: 'task-head' }, badge, countdown, spoken),
    what,
    h('p', { class: 'ask-detail-label', text: kindOfDetail }),
    detail,
    task,
    meta.el,
    bar,
    h('div', { class: 'ask-actions' }, allow, deny, stop),
  );
  let busy = false;
  let last = first;

  async function decide(decision: AskDecision): Promise<void> {
    busy = true;
    update(last);
    const ok = await ctx.act(FAILURE[decision], () => ctx.bridge.answerAsk({ askId: a.askId, decision }));
    if (ok === false) ctx.say('That action is no longer waiting for an answer.');
    busy = false;
    update(last);
  }
  allow.addEventListener('click', () => void decide('allow'));
  deny.addEventListener('click', () => void decide('deny'));
  stop.addEventListener('click', () => void decide('deny-and-stop'));

  function update(item: AskItem): void {
    last = item;
    const left = expiresAt - item.now;
    const expired = left <= 0;
    setText(countdown, expired ? 'Denying…' : `Auto-deny in ${stopwatch(left)}`);
    const width = `${Math.max(0, Math.min(100, (left / total) * 100)).toFixed(1)}%`;
    if (fill.style.width !== width) fill.style.width = width;
    el.classList.toggle('is-urgent', left < 15_000);
    for (const b of [allow, deny, stop]) setDisabled(b, busy || expired || !item.enabled);
    setAttr(el, 'aria-busy', busy ? 'true' : null);
  }

  return { el, update };
}

/** The detail as text, line by line; for an edit the removed and added lines are told apart by colour too. */
function fillDetail(pre: HTMLElement, a: AskView): void {
  if (!DIFF_TOOLS.has(a.tool)) {
    pre.textContent = a.detail;
    return;
  }
  const lines = a.detail.split('\n');
  pre.append(
    ...lines.map((line, i) => {
      const cls = line.startsWith('+ ') ? 'diff-add' : line.startsWith('- ') ? 'diff-del' : i === 0 ? 'diff-file' : 'diff-plain';
      return h('span', { class: cls, text: i < lines.length - 1 ? `${line}\n` : line });
    }),
  );
}
