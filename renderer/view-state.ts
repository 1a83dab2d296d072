/**
 * What the window shows, in one place: the latest snapshot, the live progress tail of each running task,
 * the link to the agent and the clock. Updates are coalesced: however many snapshots and progress events
 * arrive, the panels render at most once per animation frame.
 */
import type { AgentSnapshot } from '../src/contracts/bridge.js';
import type { ProgressKind } from '../src/contracts/wire.js';
import { lastLine } from './format.js';

export type LinkStatus = 'connecting' | 'open' | 'closed';
export interface LinkState {
  status: LinkStatus;
  /** When the next connection attempt starts (closed only). */
  retryAt: number | null;
}

export interface Tail {
  kind: ProgressKind | null;
  text: string;
}

export interface ViewState {
  snapshot: AgentSnapshot | null;
  link: LinkState;
  /** The latest progress line per running task: from live events once any arrived, else from the snapshot. */
  tails: Map<string, Tail>;
  now: number;
}

/** Whether controls can do anything: connected to the agent and holding its state. */
export function canAct(s: ViewState): boolean {
  return s.link.status === 'open' && s.snapshot !== null;
}

export class ViewStore {
  readonly state: ViewState = { snapshot: null, link: { status: 'connecting', retryAt: null }, tails: new Map(), now: Date.now() };
  readonly #render: (s: ViewState) => void;
  #frame = 0;

  constructor(render: (s: ViewState) => void) {
    this.#render = render;
  }

  setSnapshot(snapshot: AgentSnapshot): void {
    this.state.snapshot = snapshot;
    const running = new Set(snapshot.running.map((r) => r.record.id));
    for (const id of this.state.tails.keys()) if (!running.has(id)) this.state.tails.delete(id);
    for (const r of snapshot.running) {
      if (!this.state.tails.has(r.record.id) && r.tail) this.state.tails.set(r.record.id, { kind: r.tailKind, text: r.tail });
    }
    this.#schedule();
  }

  setProgress(commandId: string, kind: ProgressKind, data: string): void {
    const text = lastLine(data);
    if (!text) return;
    this.state.tails.set(commandId, { kind, text });
    this.#schedule();
  }

  setLink(link: LinkState): void {
    // Events may have been missed while the link was down: the next snapshot's tails are the truth.
    if (link.status === 'open') this.state.tails.clear();
    this.state.link = link;
    this.#schedule();
  }

  tick(): void {
    this.state.now = Date.now();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.state.now = Date.now();
      this.#render(this.state);
    });
  }
}
