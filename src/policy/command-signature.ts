/** SPEC §3.4: Ed25519-signed commands, so a compromised relay or server database cannot make the agent run anything. */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { fail, pass, type Check } from './check.js';

const MAX_AGE_MS = 5 * 60_000;
const MAX_SKEW_MS = 30_000;

/** Canonical JSON: object keys sorted recursively, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Accepts a PEM public key, or the raw 32-byte Ed25519 key in base64. */
export function parsePublicKey(key: string): KeyObject {
  const trimmed = key.trim();
  if (trimmed.includes('BEGIN')) return createPublicKey(trimmed);
  const raw = Buffer.from(trimmed, 'base64');
  if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes (base64) or a PEM block');
  const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');
  return createPublicKey({ key: Buffer.concat([spkiPrefix, raw]), format: 'der', type: 'spki' });
}

/**
 * Verifies `signature` over the canonical payload without it, that `issued_at` is fresh, and that the
 * command was signed for this agent (`agent_id`), so one signed command cannot be replayed across a fleet.
 */
export function verifyCommandSignature(rawPayload: Record<string, unknown>, publicKey: string, now: number, agentId: string): Check {
  const { signature, ...unsigned } = rawPayload;
  if (typeof signature !== 'string' || !signature) return fail('the command is not signed.');
  const issued = typeof unsigned.issued_at === 'string' ? Date.parse(unsigned.issued_at) : NaN;
  if (Number.isNaN(issued)) return fail('the command has no valid issued_at time.');
  if (issued > now + MAX_SKEW_MS) return fail('the command was issued in the future.');
  if (now - issued > MAX_AGE_MS) return fail('the command was issued more than 5 minutes ago.');
  let key: KeyObject;
  try {
    key = parsePublicKey(publicKey);
  } catch (err) {
    return fail(`the configured commandSigningPublicKey cannot be used: ${(err as Error).message}`);
  }
  let ok = false;
  try {
    ok = verify(null, Buffer.from(canonicalJson(unsigned)), key, Buffer.from(signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) return fail('the signature does not match the command.');
  if (typeof unsigned.agent_id !== 'string' || !unsigned.agent_id) return fail('the command does not name the agent it was signed for (agent_id).');
  if (unsigned.agent_id !== agentId) return fail('signed for another agent.');
  return pass(undefined);
}

/** Signs a payload (without `signature`) with an Ed25519 private key in PEM; returns base64. */
export function signCommandPayload(payload: Record<string, unknown>, privateKeyPem: string): string {
  const { signature: _ignored, ...unsigned } = payload;
  return sign(null, Buffer.from(canonicalJson(unsigned)), createPrivateKey(privateKeyPem)).toString('base64');
}
