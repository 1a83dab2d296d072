/** One state value for the tray (SPEC §6): it picks the icon, the tooltip and the menu. */
import type { AgentSnapshot } from './snapshot.js';

export type TrayState = 'offline' | 'idle' | 'running' | 'paused' | 'needs-approval';

/** Derives the tray state; approval requests win because they need the user's attention. */
export function trayStateOf(s: AgentSnapshot): TrayState {
  if (s.awaitingApproval.length > 0) return 'needs-approval';
  if (s.paused) return 'paused';
  if (s.connection.state !== 'connected') return 'offline';
  return s.running.length > 0 ? 'running' : 'idle';
}

/** A one-line summary for the tray tooltip. */
export function trayTooltipOf(s: AgentSnapshot): string {
  const parts = ['GuruRMM Agent'];
  const conn = { connected: 'connected', connecting: 'connecting…', offline: 'offline', auth_failed: 'authentication failed' }[s.connection.state];
  parts.push(conn);
  if (s.paused) parts.push(s.pausedUntil ? `paused until ${s.pausedUntil.slice(11, 16)}Z` : 'paused');
  if (s.awaitingApproval.length) parts.push(`${s.awaitingApproval.length} awaiting approval`);
  if (s.running.length) parts.push(`${s.running.length} running`);
  const b = s.claude.budget;
  parts.push(`${Math.max(0, b.limit - b.used)} of ${b.limit} AI tasks left this hour`);
  return parts.join(' — ');
}
