/**
 * What runs now (SPEC §6): task text or command, technician, working directory, elapsed time ticking
 * every second, the live progress tail (latest text or tool use), and a Stop button per task.
 */
import type { RecordSummary } from '../../src/contracts/bridge.js';
import { h, setAttr, setDisabled, setText, show } from '../dom.js';
import { stopwatch } from '../format.js';
import { KeyedList, type Row } from '../keyed-list.js';
import { KIND_LABEL, TAIL_LABEL } from '../labels.js';
import type { Panel, PanelContext } from '../panel.js';
import { canAct, type Tail, type ViewState } from '../view-state.js';
import { kindBadge, setKind, whoWhere } from './task-parts.js';

interface RunningItem {
  record: RecordSummary;
  tail: Tail | null;
  now: number;
  enabled: boolean;
}

export function createRunningPanel(ctx: PanelContext): Panel {
  const count = h('span', { class: 'pill', hidden: true });
  const stopAll = h('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', hidden: true, text: 'Stop all' });
  const list = h('div', { class: 'task-list' });
  const empty = h('p', { class: 'empty', text: 'Nothing is running right now.' });
  const el = h(
    'section',
    { class: 'card running', 'aria-labelledby': 'running-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'running-title', text: 'Running now' }), count, stopAll),
    list,
    empty,
  );
  const rows = new KeyedList<RunningItem>(list, (i) => i.record.id, (i) => createTaskRow(ctx, i));

  stopAll.addEventListener('click', () => {
    void ctx.act('Could not stop the tasks.', async () => {
      const n = await ctx.bridge.stopAll({});
      ctx.say(n === 1 ? 'Stopped 1 task.' : `Stopped ${n} tasks.`);
    });
  });

  function render(state: ViewState): void {
    const running = state.snapshot?.running ?? [];
    const enabled = canAct(state);
    rows.sync(running.map((r) => ({ record: r.record, tail: state.tails.get(r.record.id) ?? null, now: state.now, enabled })));
    show(empty, running.length === 0);
    show(count, running.length > 0);
    setText(count, String(running.length));
    show(stopAll, running.length > 1);
    setDisabled(stopAll, !enabled);
  }

  return { el, render };
}

function createTaskRow(ctx: PanelContext, first: RunningItem): Row<RunningItem> {
  const badge = kindBadge();
  const clock = h('span');
  const elapsed = h('span', { class: 'elapsed', role: 'timer' }, h('span', { class: 'visually-hidden', text: 'Running for ' }), clock);
  const text = h('p', { class: 'task-text' });
  const meta = whoWhere();
  const tailKind = h('span', { class: 'tail-kind' });
  const tailText = h('span', { class: 'tail-text' });
  const tail = h('p', { class: 'tail' }, tailKind, tailText);
  const stop = h('button', { type: 'button', class: 'btn btn-small btn-stop' }, h('span', { class: 'icon icon-stop', 'aria-hidden': 'true' }), 'Stop');
  const el = h(
    'article',
    { class: 'task' },
    h('div', { class: 'task-head' }, badge, elapsed),
    text,
    meta.el,
    tail,
    h('div', { class: 'task-actions' }, stop),
  );
  let stopping = false;
  let last: RunningItem = first;
  stop.addEventListener('click', () => {
    stopping = true;
    setDisabled(stop, true);
    void ctx.act('Could not stop the task.', async () => {
      if (!(await ctx.bridge.stopTask({ commandId: last.record.id }))) ctx.say('That task had already ended.');
    }).finally(() => {
      stopping = false;
      setDisabled(stop, !last.enabled);
    });
  });
  let shown = '';

  return {
    el,
    update(item) {
      last = item;
      const r = item.record;
      const key = `${r.id}\u0000${r.summary}\u0000${r.requested_by}\u0000${r.working_directory}`;
      if (key !== shown) {
        shown = key;
        setKind(badge, r.kind);
        el.classList.toggle('is-command', r.kind !== 'claude_task');
        setText(text, r.summary);
        meta.set(r.requested_by, r.working_directory);
        const name = `${KIND_LABEL[r.kind]}: ${r.summary.slice(0, 80)}`;
        setAttr(el, 'aria-label', name);
        setAttr(stop, 'aria-label', `Stop ${name}`);
      }
      const since = Date.parse(r.started_at ?? r.received_at);
      setText(clock, stopwatch(item.now - since));
      show(tail, item.tail !== null);
      setText(tailKind, item.tail?.kind ? TAIL_LABEL[item.tail.kind] : 'Latest');
      setText(tailText, item.tail?.text ?? '');
      setDisabled(stop, stopping || !item.enabled);
    },
  };
}
