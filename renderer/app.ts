/**
 * The window: its panels in reading order, fed by the bridge. Snapshots and progress events only mark
 * the state dirty; rendering happens once per frame, and a one-second tick keeps the clocks moving.
 */
import { h, setText } from './dom.js';
import type { WindowBridge } from './console-bridge.js';
import type { Panel, PanelContext } from './panel.js';
import { createApprovalsPanel } from './panels/approvals.js';
import { createAsksPanel } from './panels/asks.js';
import { createBudgetPanel } from './panels/budget.js';
import { createConsentPanel } from './panels/consent.js';
import { createHeaderPanel } from './panels/header.js';
import { createRecentPanel } from './panels/recent.js';
import { createRunningPanel } from './panels/running.js';
import { ViewStore, type ViewState } from './view-state.js';

const SAY_FOR_MS = 6_000;

export function startApp(root: HTMLElement, bridge: WindowBridge): void {
  const status = h('p', { class: 'toast', role: 'status', 'aria-live': 'polite' });
  let sayTimer = 0;
  const ctx: PanelContext = {
    bridge,
    say(message) {
      setText(status, message);
      status.classList.toggle('is-visible', message !== '');
      clearTimeout(sayTimer);
      if (message) sayTimer = window.setTimeout(() => ctx.say(''), SAY_FOR_MS);
    },
    async act(failure, run) {
      try {
        return await run();
      } catch (err) {
        ctx.say(`${failure} ${(err as Error).message}`);
        return undefined;
      }
    },
  };
  const header = createHeaderPanel(ctx);
  const main = h('main', { class: 'content' });
  // Asks and approvals come first: they have a deadline.
  const panels: Panel[] = [header, createAsksPanel(ctx), createApprovalsPanel(ctx), createBudgetPanel(), createConsentPanel(ctx), createRunningPanel(ctx), createRecentPanel(ctx)];
  main.append(...panels.slice(1).map((p) => p.el));
  root.replaceChildren(header.el, main, status);

  const store = new ViewStore((state) => {
    for (const p of panels) p.render(state);
    setText(document.head.querySelector('title')!, titleOf(state));
    document.body.classList.toggle('is-link-down', state.link.status !== 'open');
  });
  bridge.subscribe((event) => {
    if (event.type === 'snapshot') store.setSnapshot(event.snapshot);
    else store.setProgress(event.commandId, event.kind, event.data);
  });
  const refresh = (): void => {
    bridge.getSnapshot({}).then(
      (s) => store.setSnapshot(s),
      () => undefined,
    );
  };
  if (bridge.onLink) {
    bridge.onLink((link) => {
      store.setLink(link);
      if (link.status === 'open') refresh();
    });
  } else {
    store.setLink({ status: 'open', retryAt: null });
    refresh();
  }
  window.setInterval(() => store.tick(), 1000);
}

function titleOf(state: ViewState): string {
  const s = state.snapshot;
  if (state.link.status !== 'open') return 'GuruRMM Agent — disconnected';
  if (!s) return 'GuruRMM Agent';
  if (s.asks.length) return `GuruRMM Agent — an AI task wants to act`;
  if (s.awaitingApproval.length) return `GuruRMM Agent — ${s.awaitingApproval.length} waiting for you`;
  if (s.paused) return 'GuruRMM Agent — paused';
  if (s.running.length) return `GuruRMM Agent — ${s.running.length} running`;
  return 'GuruRMM Agent';
}
