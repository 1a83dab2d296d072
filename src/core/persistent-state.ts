/**
 * The agent's small persisted documents: identity, the local pause, the AI-task rate window. The pause
 * and the rate window guard the user, so a copy that cannot be read fails safe (paused; no budget for a
 * full window) and the user is told why.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { JsonState } from '../store/json-state.js';
import { loadIdentity, type Identity } from './agent-identity.js';
import { systemClock, type Clock } from './clock.js';
import type { Logger } from './logger.js';
import { RATE_WINDOW_MS } from './rate-budget.js';

export { IdentityLostError } from './agent-identity.js';

/** A pause.json or rate-limit.json that could not be read: when, and where the unreadable copy was kept. */
const unreadableSchema = z.object({ found_at: z.number(), kept_as: z.string() });

const pauseSchema = z.object({
  paused: z.boolean(),
  /** Epoch ms when the pause ends by itself; null = until resumed. */
  until: z.number().nullable(),
  since: z.number().nullable().default(null),
  /** Set when this pause was imposed because pause.json was unreadable; any pause or resume by the user drops it. */
  failsafe: unreadableSchema.optional(),
});
export type PauseState = z.infer<typeof pauseSchema>;

const rateSchema = z.object({
  starts: z.array(z.object({ at: z.number(), requester: z.string().nullable() })),
  rebuild: unreadableSchema.optional(),
});
export type RateWindow = z.infer<typeof rateSchema>;

/**
 * The requester of the placeholder starts that fill the window after rate-limit.json was unreadable: they
 * use up the budget for exactly one window from the moment that was found, and are persisted like real
 * starts, so a restart does not hand out a fresh budget. No technician name can equal it.
 */
export const REBUILD_REQUESTER = '\u0000rate-window-rebuild';
/** Placeholders written when the caller does not say how many AI tasks an hour allows. */
const UNKNOWN_LIMIT_FILL = 1000;

export interface PersistentState {
  identity: JsonState<Identity>;
  pause: JsonState<PauseState>;
  rate: JsonState<RateWindow>;
  /**
   * Salt for the per-command process-tree marker: the same for every run on this data directory and
   * independent of identity.json, so a restarted agent finds what a crashed one left running.
   */
  readonly markerSalt: string;
  /**
   * Sentences for the user about state that was unreadable and what the agent does about it (UI banner).
   * Recomputed on every read: a warning goes away once it no longer applies (resumed, window rebuilt).
   */
  readonly stateWarnings: string[];
}

export interface PersistentStateOptions {
  /** claude.maxTasksPerHour: how many placeholder starts use up the budget after an unreadable rate-limit.json. */
  aiTasksPerHour?: number;
  clock?: Clock;
}

/** The tree-marker salt for `dataDir`: a hash of its real path (stable across runs, distinct per data directory). */
export function treeMarkerSalt(dataDir: string): string {
  return createHash('sha256').update(`gururmm-tree-marker\0${realpathSync(dataDir)}`).digest('hex').slice(0, 32);
}

/**
 * Loads the persisted documents in `dataDir`. Writes only what must change: a new or restored identity,
 * or the fail-safe stand-in for an unreadable pause or rate window. Throws IdentityLostError when the
 * agent id is lost in a data directory that was used before.
 */
export async function loadPersistentState(dataDir: string, logger: Logger, opts: PersistentStateOptions = {}): Promise<PersistentState> {
  const clock = opts.clock ?? systemClock;
  const { identity, warnings: identityWarnings } = await loadIdentity(dataDir, logger);
  const pause = await loadPause(new JsonState(path.join(dataDir, 'pause.json'), pauseSchema, () => ({ paused: false, until: null, since: null }), logger), clock, logger);
  const rate = await loadRate(new JsonState(path.join(dataDir, 'rate-limit.json'), rateSchema, () => ({ starts: [] }), logger), clock, logger, opts.aiTasksPerHour);
  return {
    identity,
    pause,
    rate,
    markerSalt: treeMarkerSalt(dataDir),
    get stateWarnings(): string[] {
      const now = clock.now();
      return [pauseWarning(pause.get()), rateWarning(rate.get(), now), ...identityWarnings].filter((w): w is string => w !== null);
    },
  };
}

async function loadPause(pause: JsonState<PauseState>, clock: Clock, logger: Logger): Promise<JsonState<PauseState>> {
  const found = pause.inspect();
  if (found.status === 'missing') pause.adopt({ paused: false, until: null, since: null });
  else if (found.status === 'ok') {
    pause.adopt(found.value);
    const still = pauseWarning(found.value);
    if (still) logger.warn(still);
  } else {
    const now = clock.now();
    await pause.set({ paused: true, until: null, since: now, failsafe: { found_at: now, kept_as: path.basename(found.keptAs ?? pause.path) } });
    logger.error(pauseWarning(pause.get())!);
  }
  return pause;
}

async function loadRate(rate: JsonState<RateWindow>, clock: Clock, logger: Logger, limit: number | undefined): Promise<JsonState<RateWindow>> {
  const found = rate.inspect();
  const now = clock.now();
  if (found.status === 'missing') rate.adopt({ starts: [] });
  else if (found.status === 'ok') {
    rate.adopt(topUp(found.value, limit, now));
    const still = rateWarning(found.value, now);
    if (still) logger.warn(still);
  } else {
    const placeholders = Array.from({ length: limit ?? UNKNOWN_LIMIT_FILL }, () => ({ at: now, requester: REBUILD_REQUESTER }));
    await rate.set({ starts: placeholders, rebuild: { found_at: now, kept_as: path.basename(found.keptAs ?? rate.path) } });
    logger.error(rateWarning(rate.get(), now)!);
  }
  return rate;
}

/** When the limit was raised while the window is being rebuilt, the budget stays used up all the same. */
function topUp(doc: RateWindow, limit: number | undefined, now: number): RateWindow {
  const placeholders = doc.starts.filter((s) => s.requester === REBUILD_REQUESTER && s.at + RATE_WINDOW_MS > now);
  const first = placeholders[0];
  if (!first || limit === undefined || placeholders.length >= limit) return doc;
  const more = Array.from({ length: limit - placeholders.length }, () => ({ at: first.at, requester: REBUILD_REQUESTER }));
  return { ...doc, starts: [...doc.starts, ...more] };
}

function pauseWarning(p: PauseState): string | null {
  if (!p.paused || !p.failsafe) return null;
  return `pause.json was unreadable at ${clockTime(p.failsafe.found_at)} (kept as ${p.failsafe.kept_as}); remote execution stays paused until you resume it.`;
}

function rateWarning(doc: RateWindow, now: number): string | null {
  const placeholder = doc.starts.find((s) => s.requester === REBUILD_REQUESTER && s.at + RATE_WINDOW_MS > now);
  if (!placeholder) return null;
  const kept = doc.rebuild ? ` (kept as ${doc.rebuild.kept_as})` : '';
  return (
    `rate-limit.json was unreadable at ${clockTime(placeholder.at)}${kept}; no AI task starts until ` +
    `${clockTime(placeholder.at + RATE_WINDOW_MS)}, one full hour later, while the AI-task budget is rebuilt.`
  );
}

function clockTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
