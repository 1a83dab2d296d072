/**
 * What the local user lets technicians do without asking (SPEC §5): the time-boxed grants for one
 * technician's AI tasks ("Allowing alice's AI tasks until 14:32", with Revoke), and whether a
 * technician's shell command runs as is, with a notification, or only after Allow. The policy sets the
 * floor: levels below it are shown but disabled, so the user can only raise it.
 */
import type { AgentSnapshot } from '../../src/contracts/bridge.js';
import { h, setDisabled, setText, show } from '../dom.js';
import { clockTime } from '../format.js';
import { KeyedList, type Row } from '../keyed-list.js';
import type { Panel, PanelContext } from '../panel.js';
import { canAct, type ViewState } from '../view-state.js';

type Level = AgentSnapshot['shellApproval']['policy'];
type Grant = AgentSnapshot['grants'][number];

const LEVELS: { value: Level; label: string }[] = [
  { value: 'off', label: 'Off' },
  { value: 'notify', label: 'Notify me' },
  { value: 'consent', label: 'Ask me' },
];
const SAID: Record<Level, string> = {
  off: 'Technicians\u2019 commands run without telling you.',
  notify: 'You will be notified when a technician\u2019s command runs.',
  consent: 'Each technician\u2019s command now waits for your Allow.',
};

interface GrantItem {
  grant: Grant;
  enabled: boolean;
}

export function createConsentPanel(ctx: PanelContext): Panel {
  const grantList = h('ul', { class: 'grant-list', 'aria-label': 'Technicians allowed without asking' });
  const select = h('select', { class: 'select', id: 'shell-approval' }, ...LEVELS.map((l) => h('option', { value: l.value, text: l.label })));
  const floor = h('p', { class: 'consent-floor', id: 'shell-approval-floor', hidden: true });
  select.setAttribute('aria-describedby', floor.id);
  const el = h(
    'section',
    { class: 'card consent', 'aria-labelledby': 'consent-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'consent-title', text: 'Your consent' })),
    grantList,
    h('div', { class: 'consent-row' }, h('label', { for: select.id, text: 'Before a technician\u2019s command runs' }), select),
    floor,
  );
  const rows = new KeyedList<GrantItem>(grantList, (i) => i.grant.requester, (i) => createGrantRow(ctx, i));
  let busy = false;
  let shown: Level | null = null;

  select.addEventListener('change', () => {
    const level = select.value as Level;
    busy = true;
    setDisabled(select, true);
    void ctx.act('Could not change when commands ask you.', () => ctx.bridge.setShellApproval({ level })).then((ok) => {
      busy = false;
      setDisabled(select, false);
      if (ok) ctx.say(SAID[level]);
      // The next snapshot says what applies; until then show what was there.
      if (!ok && shown) select.value = shown;
    });
  });

  function render(state: ViewState): void {
    const s = state.snapshot;
    show(el, s !== null);
    if (!s) return;
    const enabled = canAct(state);
    rows.sync(s.grants.map((grant) => ({ grant, enabled })));
    show(grantList, s.grants.length > 0);
    const { policy, effective } = s.shellApproval;
    const min = LEVELS.findIndex((l) => l.value === policy);
    LEVELS.forEach((l, i) => {
      const option = select.options[i]!;
      const below = i < min;
      if (option.disabled !== below) option.disabled = below;
    });
    if (!busy && shown !== effective) {
      shown = effective;
      select.value = effective;
    }
    if (!busy) setDisabled(select, !enabled);
    const label = LEVELS[min]?.label ?? '';
    setText(floor, min > 0 ? `Your administrator requires at least \u201c${label}\u201d.` : '');
    show(floor, min > 0);
  }

  return { el, render };
}

function createGrantRow(ctx: PanelContext, first: GrantItem): Row<GrantItem> {
  const who = first.grant.requester;
  const line = h('span', { class: 'grant-line' });
  const revoke = h('button', { type: 'button', class: 'btn btn-danger-quiet btn-small', 'aria-label': `Revoke the grant for ${who}`, text: 'Revoke' });
  const el = h('li', { class: 'grant' }, line, revoke);
  let busy = false;
  let last = first;

  revoke.addEventListener('click', () => {
    busy = true;
    update(last);
    void ctx.act(`Could not end the grant for ${who}.`, () => ctx.bridge.revokeGrant({ requester: who })).then((ok) => {
      busy = false;
      if (ok) ctx.say(`${who}'s AI tasks will ask you again.`);
      update(last);
    });
  });

  function update(item: GrantItem): void {
    last = item;
    setText(line, `Allowing ${who}'s AI tasks until ${clockTime(item.grant.until)}`);
    setDisabled(revoke, busy || !item.enabled);
  }

  return { el, update };
}
