/** The window's entry: the Electron preload's `window.agent` when there is one, else the console's bridge. */
import './zod-jitless.js';
import type { AgentBridge } from '../src/console/bridge-handlers.js';
import { startApp } from './app.js';
import { createConsoleBridge, type WindowBridge } from './console-bridge.js';

declare global {
  interface Window {
    agent?: AgentBridge;
  }
}

const root = document.getElementById('app');
if (root) startApp(root, (window.agent as WindowBridge | undefined) ?? createConsoleBridge());
