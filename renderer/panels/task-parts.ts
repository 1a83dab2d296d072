/** Pieces the running and approval cards share: the kind badge and the technician / folder lines. */
import type { TaskRecord } from '../../src/contracts/wire.js';
import { h, setText, setVariant, show } from '../dom.js';
import { KIND_LABEL } from '../labels.js';

export function kindBadge(): HTMLElement {
  return h('span', { class: 'kind kind-shell' });
}

export function setKind(badge: HTMLElement, kind: TaskRecord['kind']): void {
  setText(badge, KIND_LABEL[kind]);
  setVariant(badge, 'kind', kind === 'claude_task' ? 'ai' : 'shell');
}

/** "Technician tech / Folder /srv/share": who asked and where it runs. */
export function whoWhere(): { el: HTMLElement; set(requestedBy: string | null, folder: string | null): void } {
  const who = h('dd');
  const where = h('dd', { class: 'path' });
  const whereRow = h('div', {}, h('dt', { text: 'Folder' }), where);
  const el = h('dl', { class: 'meta' }, h('div', {}, h('dt', { text: 'Technician' }), who), whereRow);
  return {
    el,
    set(requestedBy, folder) {
      setText(who, requestedBy ?? 'not named');
      who.classList.toggle('is-unknown', requestedBy === null);
      setText(where, folder ?? '');
      show(whereRow, folder !== null && folder !== '');
    },
  };
}
