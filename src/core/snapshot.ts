/** The agent's state as the window, the console and the tray see it (a plain, serialisable value). */
import type { ConnectionState } from '../connection/connection.js';
import type { AgentStatusPayload, TaskRecord } from '../contracts/wire.js';

export interface RunningTaskView {
  record: TaskRecord;
  /** The latest progress (text, tool use, or output), for a one-line live view. */
  tail: string;
}

export interface ApprovalView {
  commandId: string;
  task: string;
  requestedBy: string | null;
  workingDirectory: string;
  expiresAt: string;
}

export interface LocalEvent {
  at: string;
  action: 'pause' | 'resume' | 'stop' | 'allow' | 'deny';
  detail: string;
}

export interface AgentSnapshot {
  agentId: string;
  hostname: string;
  version: string;
  connection: { state: ConnectionState; detail: string | null; serverUrl: string };
  paused: boolean;
  pausedUntil: string | null;
  approvalRequired: boolean;
  userMayQuit: boolean;
  claude: {
    available: boolean;
    problem: string | null;
    /** How AI tasks are confined here; `warning` is set when they run unconfined (claude.sandbox auto). */
    confinement: { confined: boolean; detail: string; warning: string | null };
    budget: AgentStatusPayload['rate_limit'];
    concurrency: AgentStatusPayload['concurrency'];
  };
  running: RunningTaskView[];
  awaitingApproval: ApprovalView[];
  recent: TaskRecord[];
  localEvents: LocalEvent[];
}
