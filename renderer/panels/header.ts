/**
 * The header (SPEC §6): which machine this is, its connection to the server, and the prominent Pause
 * control (15 min / 1 h / until resumed / pause and stop running tasks) or Resume while paused.
 */
import type { AgentSnapshot } from '../../src/contracts/bridge.js';
import { h, setAttr, setDisabled, setText, setVariant, show } from '../dom.js';
import { clockTime, serverName } from '../format.js';
import type { Panel, PanelContext } from '../panel.js';
import { canAct, type ViewState } from '../view-state.js';

interface PauseChoice {
  label: string;
  name: string;
  durationMs: number | null;
  alsoStop: boolean;
}

const CHOICES: PauseChoice[] = [
  { label: '15 min', name: 'Pause for 15 minutes', durationMs: 15 * 60_000, alsoStop: false },
  { label: '1 hour', name: 'Pause for 1 hour', durationMs: 60 * 60_000, alsoStop: false },
  { label: 'Until I resume', name: 'Pause until I resume', durationMs: null, alsoStop: false },
];
const STOP_TOO: PauseChoice = { label: 'Pause and stop running tasks', name: 'Pause until I resume and stop running tasks', durationMs: null, alsoStop: true };

const CONNECTION: Record<AgentSnapshot['connection']['state'], { tone: string; text: (server: string) => string }> = {
  connected: { tone: 'ok', text: (s) => `Connected to ${s}` },
  connecting: { tone: 'busy', text: (s) => `Connecting to ${s}…` },
  offline: { tone: 'bad', text: (s) => `Offline: cannot reach ${s}` },
  auth_failed: { tone: 'bad', text: (s) => `${s} refused this agent's key` },
};

export function createHeaderPanel(ctx: PanelContext): Panel {
  const host = h('h1', { class: 'host', text: 'GuruRMM Agent' });
  const dot = h('span', { class: 'dot tone-busy', 'aria-hidden': 'true' });
  const connText = h('span', { text: 'Connecting to the agent…' });
  const connDetail = h('span', { class: 'conn-detail', hidden: true });
  const ident = h('p', { class: 'ident' });
  const pauseBtn = h(
    'button',
    { type: 'button', class: 'btn btn-pause', 'aria-expanded': 'false', 'aria-controls': 'pause-menu' },
    h('span', { class: 'icon icon-pause', 'aria-hidden': 'true' }),
    'Pause',
    h('span', { class: 'chevron', 'aria-hidden': 'true' }),
  );
  const resumeBtn = h('button', { type: 'button', class: 'btn btn-resume', hidden: true }, h('span', { class: 'icon icon-play', 'aria-hidden': 'true' }), 'Resume');
  const choiceButtons = [...CHOICES, STOP_TOO].map((c) => {
    const b = h('button', { type: 'button', class: c.alsoStop ? 'btn choice choice-stop' : 'btn choice', 'aria-label': c.name, text: c.label });
    b.addEventListener('click', () => void choose(c));
    return b;
  });
  const menu = h(
    'div',
    { id: 'pause-menu', class: 'pause-menu', role: 'group', 'aria-labelledby': 'pause-menu-label', hidden: true },
    h('p', { id: 'pause-menu-label', class: 'menu-label', text: 'Refuse new commands from technicians for' }),
    h('div', { class: 'choices' }, ...choiceButtons.slice(0, 3)),
    choiceButtons[3]!,
  );
  const pausedText = h('span');
  const pausedBanner = h('p', { class: 'paused-banner', role: 'status' }, h('span', { class: 'icon icon-pause', 'aria-hidden': 'true' }), pausedText);
  const linkBanner = h('p', { class: 'link-banner', role: 'alert', hidden: true });
  const controls = h('div', { class: 'controls' }, pauseBtn, resumeBtn);
  const el = h(
    'header',
    { class: 'header' },
    h('div', { class: 'header-row' }, h('div', { class: 'identity' }, host, h('p', { class: 'conn' }, dot, connText, connDetail), ident), controls),
    menu,
    pausedBanner,
    linkBanner,
  );

  function setMenu(open: boolean): void {
    show(menu, open);
    setAttr(pauseBtn, 'aria-expanded', String(open));
  }

  async function choose(c: PauseChoice): Promise<void> {
    setMenu(false);
    pauseBtn.focus();
    await ctx.act('Could not pause.', () => ctx.bridge.pause({ durationMs: c.durationMs, alsoStop: c.alsoStop }));
  }

  pauseBtn.addEventListener('click', () => setMenu(menu.hidden));
  resumeBtn.addEventListener('click', () => void ctx.act('Could not resume.', () => ctx.bridge.resume({})));
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !menu.hidden) {
      setMenu(false);
      pauseBtn.focus();
    }
  });
  document.addEventListener('pointerdown', (e) => {
    if (!menu.hidden && !menu.contains(e.target as Node) && !pauseBtn.contains(e.target as Node)) setMenu(false);
  });

  function render(state: ViewState): void {
    const s = state.snapshot;
    const linkDown = state.link.status !== 'open';
    // Once the window has shown the agent's state, losing the link is said until it is back (retries included).
    show(linkBanner, linkDown && s !== null);
    setText(linkBanner, 'Disconnected from the agent. Reconnecting…');
    const enabled = canAct(state);
    setDisabled(pauseBtn, !enabled);
    setDisabled(resumeBtn, !enabled);
    for (const b of choiceButtons) setDisabled(b, !enabled);
    if (!s) return;

    setText(host, s.hostname);
    setText(ident, `Agent ${s.agentId.slice(0, 8)} · version ${s.version}`);
    const conn = CONNECTION[s.connection.state];
    setVariant(dot, 'tone', linkDown ? 'muted' : conn.tone);
    setText(connText, linkDown ? 'Not connected to the agent' : conn.text(serverName(s.connection.serverUrl)));
    const detail = !linkDown && s.connection.state !== 'connected' && s.connection.detail ? s.connection.detail : '';
    setText(connDetail, detail);
    show(connDetail, detail !== '');

    // The control that had focus is swapped for its counterpart, so keyboard users stay in place.
    const focused = document.activeElement;
    show(pauseBtn, !s.paused);
    show(resumeBtn, s.paused);
    if (s.paused) setMenu(false);
    if (focused === pauseBtn && s.paused) resumeBtn.focus();
    else if (focused === resumeBtn && !s.paused) pauseBtn.focus();
    el.classList.toggle('is-paused', s.paused);
    show(pausedBanner, s.paused);
    setText(
      pausedText,
      s.paused
        ? `${s.pausedUntil ? `Paused until ${clockTime(s.pausedUntil)}.` : 'Paused until you resume.'} New commands from technicians are refused.`
        : '',
    );
  }

  return { el, render };
}
