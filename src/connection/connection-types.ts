/** The options and events of a `Connection` (SPEC §3.1). */
import type { AgentConfig } from '../contracts/config.js';
import type { AuthPayload, InboundMessage } from '../contracts/wire.js';
import type { Logger } from '../core/logger.js';

export type ConnectionState = 'connecting' | 'connected' | 'offline' | 'auth_failed';

export interface InvalidFrame {
  error: string;
  commandId: string | null;
  type: string | null;
  unknownType?: boolean;
}

export interface ConnectionTiming {
  heartbeatMs?: number;
  pongTimeoutMs?: number;
  authTimeoutMs?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  stableAfterMs?: number;
}

export interface ConnectionOptions {
  config: Pick<AgentConfig, 'serverUrl' | 'apiKey' | 'allowInsecure' | 'caFile' | 'serverCertificateSha256'>;
  logger: Logger;
  buildAuth: () => AuthPayload;
  onMessage: (msg: InboundMessage) => void;
  onInvalidFrame: (bad: InvalidFrame) => void;
  onAuthenticated: () => void;
  onStateChange: (state: ConnectionState, detail: string | null) => void;
  heartbeatStatus: () => string;
  timing?: ConnectionTiming;
}
