/**
 * Recent tasks (SPEC §6): newest first, the last 50, shell commands and AI tasks alike, filterable
 * (all / AI / shell / refused). "All" comes with every snapshot; the other filters ask the agent's
 * history, again whenever the recent list changes.
 */
import type { HistoryFilter } from '../../src/contracts/bridge.js';
import { h, setAttr, setText, show } from '../dom.js';
import { KeyedList } from '../keyed-list.js';
import type { Panel, PanelContext } from '../panel.js';
import type { ViewState } from '../view-state.js';
import { createRecordRow, type RecordItem, type RecordView } from './record-row.js';

const SHOWN = 50;
const FILTERS: [HistoryFilter, string][] = [
  ['all', 'All tasks'],
  ['ai', 'AI tasks'],
  ['shell', 'Commands'],
  ['refused', 'Refused'],
];
const EMPTY: Record<HistoryFilter, string> = {
  all: 'Nothing has run here yet. Tasks from technicians are listed here once they arrive.',
  ai: 'No AI tasks yet.',
  shell: 'No shell, PowerShell or Python commands yet.',
  refused: 'Nothing has been refused.',
};

export function createRecentPanel(ctx: PanelContext): Panel {
  const select = h('select', { id: 'recent-filter', class: 'select' }, ...FILTERS.map(([value, label]) => h('option', { value, text: label })));
  const list = h('div', { class: 'record-list' });
  const empty = h('p', { class: 'empty' });
  const note = h('p', { class: 'list-note', text: `Showing the ${SHOWN} most recent.`, hidden: true });
  const el = h(
    'section',
    { class: 'card recent', 'aria-labelledby': 'recent-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'recent-title', text: 'Recent' }), h('label', { class: 'filter', for: 'recent-filter', text: 'Show' }), select),
    list,
    empty,
    note,
  );
  const rows = new KeyedList<RecordItem>(list, (i) => i.record.id, () => createRecordRow(ctx));
  let filter: HistoryFilter = 'all';
  let filtered: RecordView[] | null = null;
  let fetchedFor = '';
  let fetchSeq = 0;
  let lastState: ViewState | null = null;
  let rendered: { snapshot: unknown; filtered: unknown; filter: HistoryFilter } | null = null;

  select.addEventListener('change', () => {
    filter = select.value as HistoryFilter;
    filtered = null;
    fetchedFor = '';
    if (lastState) render(lastState);
  });

  async function fetchFiltered(forFilter: HistoryFilter, signature: string): Promise<void> {
    const seq = ++fetchSeq;
    fetchedFor = signature;
    setAttr(list, 'aria-busy', 'true');
    const records = await ctx.act('Could not load the history.', () => ctx.bridge.getHistory({ filter: forFilter, limit: SHOWN }));
    if (seq !== fetchSeq) return;
    setAttr(list, 'aria-busy', null);
    if (records === undefined) {
      fetchedFor = '';
      return;
    }
    filtered = records;
    if (lastState) render(lastState);
  }

  function render(state: ViewState): void {
    lastState = state;
    const s = state.snapshot;
    if (!s) return;
    if (state.link.status !== 'open') fetchedFor = '';
    else if (filter !== 'all') {
      // The recent list changed (a task arrived or ended) or the link came back: the filtered view is asked for again.
      const signature = `${filter}|${s.recent.map((r) => `${r.id}:${r.status}`).join(',')}`;
      if (signature !== fetchedFor) void fetchFiltered(filter, signature);
    }
    if (rendered && rendered.snapshot === s && rendered.filtered === filtered && rendered.filter === filter) return;
    rendered = { snapshot: s, filtered, filter };
    const records: RecordView[] = filter === 'all' ? s.recent : (filtered ?? []);
    const shown = records.slice(0, SHOWN);
    rows.sync(shown.map((record) => ({ record, now: state.now })));
    const loading = filter !== 'all' && filtered === null;
    setText(empty, loading ? 'Loading…' : EMPTY[filter]);
    show(empty, shown.length === 0);
    show(note, shown.length >= SHOWN);
  }

  return { el, render };
}
