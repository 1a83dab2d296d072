/**
 * The AI-task budget (SPEC §6): "7 of 10 AI tasks left this hour — next slot frees at 14:32",
 * "1 of 2 running", why AI tasks are unavailable or unconfined, and what the agent could not read at
 * start-up (its warnings).
 */
import type { AgentSnapshot } from '../../src/contracts/bridge.js';
import { h, setText, show } from '../dom.js';
import { clockTime, durationText } from '../format.js';
import type { Panel } from '../panel.js';
import type { ViewState } from '../view-state.js';

type Budget = AgentSnapshot['claude']['budget'];

/** The budget in one sentence. */
export function budgetLine(b: Budget, freesAt: string | null = null): string {
  if (b.limit <= 0) return 'AI tasks are turned off here: the limit is 0 per hour.';
  const left = Math.max(0, b.limit - b.used);
  const span = b.window_seconds === 3600 ? 'this hour' : `in ${durationText(b.window_seconds * 1000)}`;
  const head = left === 0 ? `No AI tasks left ${span}` : `${left} of ${b.limit} AI tasks left ${span}`;
  const next = b.next_slot_at ?? freesAt;
  return next ? `${head} — next slot frees at ${clockTime(next)}` : head;
}

export function createBudgetPanel(): Panel {
  const warnings = h('div', { class: 'warnings', role: 'region', 'aria-label': 'Warnings', hidden: true });
  const line = h('p', { class: 'budget-line' });
  const fill = h('span', { class: 'meter-fill' });
  const meter = h('div', { class: 'meter', 'aria-hidden': 'true' }, fill);
  const concurrency = h('span', { class: 'pill' });
  const unavailable = h('p', { class: 'notice tone-bad', hidden: true });
  const confinement = h('p', { class: 'notice tone-warn', hidden: true });
  const card = h(
    'section',
    { class: 'card budget', 'aria-labelledby': 'budget-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'budget-title', text: 'AI tasks' }), concurrency),
    line,
    meter,
    unavailable,
    confinement,
  );
  const el = h('div', { class: 'budget-panel' }, warnings, card);
  let lastWarnings = '';

  function render(state: ViewState): void {
    const s = state.snapshot;
    show(el, s !== null);
    if (!s) return;
    const key = JSON.stringify(s.warnings);
    if (key !== lastWarnings) {
      lastWarnings = key;
      warnings.replaceChildren(...s.warnings.map((w) => h('p', { class: 'banner tone-warn' }, h('strong', { text: 'Warning: ' }), w)));
      show(warnings, s.warnings.length > 0);
    }
    const { budget, concurrency: c, problem, confinement: conf, available } = s.claude;
    setText(line, budgetLine(budget, s.claude.nextSlotFreesAt));
    const left = budget.limit > 0 ? Math.max(0, budget.limit - budget.used) / budget.limit : 0;
    const width = `${Math.round(left * 100)}%`;
    if (fill.style.width !== width) fill.style.width = width;
    meter.classList.toggle('is-low', left <= 0.2);
    setText(concurrency, `${c.running} of ${c.limit} running`);
    card.classList.toggle('is-unavailable', !available);
    setText(unavailable, problem ? `AI tasks are unavailable. ${problem}` : '');
    show(unavailable, problem !== null);
    setText(confinement, conf.warning ?? '');
    show(confinement, conf.warning !== null);
  }

  return { el, render };
}
