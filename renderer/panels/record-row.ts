/**
 * One task in the recent list: status badge, what ran, who asked, when, how long, exit code, reason and
 * the local user's decisions; expanding it fetches the output (snapshots never carry it).
 */
import type { TaskRecord } from '../../src/contracts/wire.js';
import { h, setText, setVariant, show } from '../dom.js';
import { bytesText, clockTime, durationText, whenText } from '../format.js';
import type { Row } from '../keyed-list.js';
import { decisionText, KIND_LABEL, STATUS } from '../labels.js';
import type { PanelContext } from '../panel.js';

/** A record as the list shows it: never its output (the sizes when known). */
export type RecordView = Omit<TaskRecord, 'stdout' | 'stderr'> & { stdout_bytes?: number; stderr_bytes?: number };

export interface RecordItem {
  record: RecordView;
  now: number;
}

export function createRecordRow(ctx: PanelContext): Row<RecordItem> {
  const symbol = h('span', { class: 'badge-symbol', 'aria-hidden': 'true' });
  const statusLabel = h('span');
  const badge = h('span', { class: 'badge tone-muted' }, symbol, statusLabel);
  const title = h('span', { class: 'record-title' });
  const meta = h('span', { class: 'record-meta' });
  const reasonLine = h('span', { class: 'record-reason' });
  const summary = h('summary', {}, badge, h('span', { class: 'record-main' }, title, meta, reasonLine));
  const full = h('p', { class: 'record-full' });
  const reason = h('p', { class: 'record-reason-full' });
  const decisions = h('ul', { class: 'decisions', 'aria-label': 'Your decisions' });
  const facts = h('dl', { class: 'facts' });
  const outputState = h('p', { class: 'output-state' });
  const output = h('div', { class: 'output' }, outputState);
  const el = h('details', { class: 'record' }, summary, h('div', { class: 'record-body' }, full, reason, decisions, facts, output));
  let record: RecordView | null = null;
  let shown = '';
  let loadedFor: string | null | undefined;
  let loading = false;

  el.addEventListener('toggle', () => {
    if (el.open) void loadOutput();
  });

  async function loadOutput(): Promise<void> {
    const r = record;
    if (!r || loading || loadedFor === r.finished_at) return;
    loading = true;
    output.setAttribute('aria-busy', 'true');
    setText(outputState, 'Loading output…');
    output.replaceChildren(outputState);
    const out = await ctx.act('Could not load the output.', () => ctx.bridge.getTaskOutput({ commandId: r.id }));
    loading = false;
    output.removeAttribute('aria-busy');
    if (out === undefined) {
      setText(outputState, 'The output could not be loaded. Close and open this entry to try again.');
      loadedFor = undefined;
      return;
    }
    loadedFor = r.finished_at;
    if (out === null) {
      setText(outputState, r.finished_at ? 'No output was kept for this task.' : 'The output appears here when the task has finished.');
      return;
    }
    const blocks: HTMLElement[] = [];
    if (out.stdout) blocks.push(...outputBlock('Output', out.stdout, r.summary));
    if (out.stderr) blocks.push(...outputBlock('Error output', out.stderr, r.summary));
    if (blocks.length === 0) {
      setText(outputState, 'The task printed nothing.');
      return;
    }
    output.replaceChildren(...blocks);
    if (record && record.finished_at !== loadedFor && el.open) void loadOutput();
  }

  function update(item: RecordItem): void {
    const r = item.record;
    record = r;
    const key = JSON.stringify(r);
    if (key === shown) return;
    shown = key;
    const status = STATUS[r.status];
    setVariant(badge, 'tone', status.tone);
    setText(symbol, status.symbol);
    setText(statusLabel, status.label);
    setText(title, r.summary || '(empty command)');
    setText(full, r.summary);
    el.classList.toggle('is-command', r.kind !== 'claude_task');
    setText(meta, metaLine(r, item.now));
    setText(reasonLine, r.reason ?? '');
    show(reasonLine, r.reason !== null && r.reason !== '');
    // The summary shows two lines of the reason; a longer one is shown whole when expanded.
    setText(reason, r.reason ?? '');
    show(reason, (r.reason ?? '').length > 90);
    decisions.replaceChildren(...r.decisions.map((d) => h('li', { text: `${decisionText(d)} at ${clockTime(d.at)}` })));
    show(decisions, r.decisions.length > 0);
    facts.replaceChildren(...factList(r).flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
    if (el.open && loadedFor !== r.finished_at) void loadOutput();
  }

  return { el, update };
}

function metaLine(r: RecordView, now: number): string {
  const parts = [KIND_LABEL[r.kind], r.requested_by ?? 'no technician named', whenText(r.started_at ?? r.received_at, now)];
  if (r.duration_ms !== null) parts.push(durationText(r.duration_ms));
  if (r.exit_code !== null) parts.push(`exit ${r.exit_code}`);
  const last = r.decisions.at(-1);
  if (last) parts.push(decisionText(last));
  return parts.join(' · ');
}

function factList(r: RecordView): [string, string][] {
  const facts: [string, string][] = [];
  if (r.working_directory) facts.push(['Folder', r.working_directory]);
  facts.push(['Received', new Date(r.received_at).toLocaleString()]);
  if (r.finished_at) facts.push(['Finished', new Date(r.finished_at).toLocaleString()]);
  if (r.exit_code !== null) facts.push(['Exit code', String(r.exit_code)]);
  if (r.stdout_bytes !== undefined && r.stderr_bytes !== undefined) {
    facts.push(['Output size', `${bytesText(r.stdout_bytes)} output, ${bytesText(r.stderr_bytes)} error output`]);
  }
  if (r.claude?.model) facts.push(['Model', r.claude.model]);
  if (r.claude?.permission_denials.length) facts.push(['Blocked tool uses', r.claude.permission_denials.join('; ')]);
  return facts;
}

function outputBlock(label: string, text: string, summary: string): HTMLElement[] {
  return [
    h('h3', { class: 'output-label', text: label }),
    h('pre', { class: label === 'Output' ? 'output-text' : 'output-text is-stderr', tabindex: '0', 'aria-label': `${label} of ${summary.slice(0, 60)}`, text }),
  ];
}
