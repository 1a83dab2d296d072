/** Heartbeats and pings for one authenticated session (SPEC §3.1 step 3); a pong that never comes means a dead peer. */
import type { GuardedTimers } from './guarded.js';

export interface KeepaliveOptions {
  heartbeatMs: number;
  pongTimeoutMs: number;
  /** Whether the session is still current and open. */
  live: () => boolean;
  heartbeat: () => void;
  ping: () => void;
  onDead: () => void;
}

/** Starts both intervals on `timers` (cleared with them); call `pong()` for every pong received. */
export function startKeepalive(timers: GuardedTimers, o: KeepaliveOptions): { pong(): void } {
  let pongTimer: NodeJS.Timeout | null = null;
  timers.every('heartbeat', o.heartbeatMs, () => {
    if (o.live()) o.heartbeat();
  });
  timers.every('ping', Math.max(1000, Math.floor(o.heartbeatMs / 2)), () => {
    if (!o.live() || pongTimer) return;
    o.ping();
    pongTimer = timers.after('pong timeout', o.pongTimeoutMs, () => {
      pongTimer = null;
      o.onDead();
    });
  });
  return {
    pong: () => {
      timers.cancel(pongTimer);
      pongTimer = null;
    },
  };
}
