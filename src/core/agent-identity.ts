/**
 * The agent's id, kept in two copies (identity.json and identity.backup.json, each replaced atomically)
 * so that losing or tearing one never makes this machine a new agent on the server. When both are gone
 * the agent refuses to start, unless the data directory is genuinely new.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { JsonState, type Inspection } from '../store/json-state.js';
import type { Logger } from './logger.js';

const identitySchema = z.object({ agent_id: z.uuid() });
export type Identity = z.infer<typeof identitySchema>;

export const IDENTITY_FILE = 'identity.json';
export const IDENTITY_BACKUP_FILE = 'identity.backup.json';

/**
 * Files that tie this data directory to the id the server knows: commands, their results and their AI-task
 * settings, which a new id would orphan. The pause, the rate window and the local event log alone do not
 * (they are honoured under any id), so a directory holding only those still counts as new.
 */
const EARLIER_STATE = ['commands.jsonl', 'history.jsonl', 'outbox', 'claude'];

/** Both copies of the identity are unusable in a data directory that was used before: start-up must stop. */
export class IdentityLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityLostError';
  }
}

export interface LoadedIdentity {
  identity: JsonState<Identity>;
  /** What was repaired, in words for the user; empty when both copies were fine. */
  warnings: string[];
}

/**
 * Reads the identity from either copy and repairs the other; writes only when something was created or
 * restored. Throws IdentityLostError when neither copy is usable and the directory holds earlier state.
 */
export async function loadIdentity(dataDir: string, logger: Logger): Promise<LoadedIdentity> {
  const neverDefault = (): Identity => {
    throw new Error('the agent id was read before it was loaded');
  };
  const primary = new JsonState(path.join(dataDir, IDENTITY_FILE), identitySchema, neverDefault, logger);
  const backup = new JsonState(path.join(dataDir, IDENTITY_BACKUP_FILE), identitySchema, neverDefault, logger);
  // Corrupt copies stay where they are until the other copy is known to be good: a refused start must
  // leave the directory as it found it, so the next start refuses too.
  const p = primary.inspect({ setAside: false });
  const b = backup.inspect({ setAside: false });
  const warnings: string[] = [];

  if (p.status === 'ok') {
    primary.adopt(p.value);
    if (b.status === 'missing') {
      await backup.set(p.value);
      logger.info(`wrote the second copy of the agent id, ${IDENTITY_BACKUP_FILE}`);
    } else if (b.status === 'corrupt') {
      const aside = backup.setAside();
      await backup.set(p.value);
      warnings.push(`${IDENTITY_BACKUP_FILE} was unreadable (kept as ${path.basename(aside)}); it was rewritten from ${IDENTITY_FILE}.`);
    } else if (b.value.agent_id !== p.value.agent_id) {
      await backup.set(p.value);
      warnings.push(`${IDENTITY_BACKUP_FILE} held another agent id (${b.value.agent_id}); it was rewritten from ${IDENTITY_FILE} (${p.value.agent_id}).`);
    }
  } else if (b.status === 'ok') {
    const aside = p.status === 'corrupt' ? primary.setAside() : null;
    await primary.set(b.value);
    const what = aside ? `was unreadable (kept as ${path.basename(aside)})` : 'was missing';
    warnings.push(`${IDENTITY_FILE} ${what}; the agent id ${b.value.agent_id} was restored from ${IDENTITY_BACKUP_FILE}.`);
  } else {
    const earlier = earlierState(dataDir, p, b);
    if (earlier.length > 0) throw new IdentityLostError(lostMessage(dataDir, p, b, earlier));
    const fresh = { agent_id: randomUUID() };
    await primary.set(fresh);
    await backup.set(fresh);
    logger.info('new data directory: created the agent id', { agentId: fresh.agent_id });
  }
  for (const w of warnings) logger.warn(w);
  return { identity: primary, warnings };
}

function earlierState(dataDir: string, p: Inspection<Identity>, b: Inspection<Identity>): string[] {
  const found: string[] = [];
  if (p.status === 'corrupt') found.push(IDENTITY_FILE);
  if (b.status === 'corrupt') found.push(IDENTITY_BACKUP_FILE);
  for (const name of EARLIER_STATE) if (existsSync(path.join(dataDir, name))) found.push(name);
  for (const name of readdirSync(dataDir)) if (/^identity.*\.corrupt-/.test(name)) found.push(name);
  return found;
}

function lostMessage(dataDir: string, p: Inspection<Identity>, b: Inspection<Identity>, earlier: string[]): string {
  const state = (s: Inspection<Identity>): string => (s.status === 'corrupt' ? 'unreadable' : 'missing');
  const copies =
    state(p) === state(b)
      ? `${IDENTITY_FILE} and ${IDENTITY_BACKUP_FILE} in ${dataDir} are both ${state(p)}`
      : `${IDENTITY_FILE} is ${state(p)} and ${IDENTITY_BACKUP_FILE} is ${state(b)} in ${dataDir}`;
  return (
    `The agent's identity is lost: ${copies}, ` +
    `although that directory was used before (${earlier.join(', ')}); starting would make this machine a new agent ` +
    `on the server and lose track of what the last run left running. Restore ${IDENTITY_FILE} from a backup of this ` +
    `machine, or, to register it as a new machine on purpose, move everything out of ${dataDir} and start again.`
  );
}
