/** What every panel of the window is: an element, rendered from the view state, acting through the bridge. */
import type { AgentBridge } from '../src/console/bridge-handlers.js';
import type { ViewState } from './view-state.js';

export interface Panel {
  el: HTMLElement;
  render(state: ViewState): void;
}

export interface PanelContext {
  bridge: AgentBridge;
  /** Tells the user something in the status line (announced politely to screen readers). */
  say(message: string): void;
  /** Runs a call to the agent; a failure is told to the user in a sentence, and resolves to undefined. */
  act<T>(failure: string, run: () => Promise<T>): Promise<T | undefined>;
}
