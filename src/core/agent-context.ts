/**
 * What the parts of the agent core share: the config, the stores, the connection's send, the commands in
 * flight, and the events the hosts listen to. One object, handed to each part, so no part reaches into
 * another's fields.
 */
import type { Connection } from '../connection/connection.js';
import type { AgentConfig } from '../contracts/config.js';
import type { ProgressKind, TaskRecord } from '../contracts/wire.js';
import type { CommandStore } from '../store/command-store.js';
import type { Clock } from './clock.js';
import type { InFlight } from './in-flight.js';
import type { LocalEventLog } from './local-event-log.js';
import type { Logger } from './logger.js';
import type { PersistentState } from './persistent-state.js';

export interface ProgressEvent {
  commandId: string;
  kind: ProgressKind;
  data: string;
}

export interface NotifyEvent {
  title: string;
  body: string;
}

export type AgentEvents = {
  /** Something in the snapshot changed; call `snapshot()`. */
  change: [];
  progress: [ProgressEvent];
  task: [TaskRecord];
  notify: [NotifyEvent];
};

export interface AgentContext {
  readonly config: AgentConfig;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly state: PersistentState;
  readonly store: CommandStore;
  readonly events: LocalEventLog;
  readonly connection: Connection;
  readonly inFlight: Map<string, InFlight>;
  agentId(): string;
  isStopping(): boolean;
  /** The snapshot changed: tell the server (agent_status) and the hosts. */
  changed(): void;
  emit<K extends keyof AgentEvents>(event: K, ...args: AgentEvents[K]): void;
  /** Keeps background work visible to `stop()`, and logs its failure. */
  track(p: Promise<unknown>): void;
}
