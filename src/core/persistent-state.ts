/** The agent's small persisted documents: identity, the local pause, the AI-task rate window. */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { JsonState } from '../store/json-state.js';
import type { Logger } from './logger.js';

const identitySchema = z.object({ agent_id: z.uuid() });
const pauseSchema = z.object({
  paused: z.boolean(),
  /** Epoch ms when the pause ends by itself; null = until resumed. */
  until: z.number().nullable(),
  since: z.number().nullable().default(null),
});
export type PauseState = z.infer<typeof pauseSchema>;
const rateSchema = z.object({
  starts: z.array(z.object({ at: z.number(), requester: z.string().nullable() })),
});

export interface PersistentState {
  identity: JsonState<z.infer<typeof identitySchema>>;
  pause: JsonState<PauseState>;
  rate: JsonState<z.infer<typeof rateSchema>>;
}

/** Loads (or creates) the persisted documents in `dataDir`; a new agent id is written at once. */
export async function loadPersistentState(dataDir: string, logger: Logger): Promise<PersistentState> {
  const identity = new JsonState(path.join(dataDir, 'identity.json'), identitySchema, () => ({ agent_id: randomUUID() }), logger);
  const pause = new JsonState(path.join(dataDir, 'pause.json'), pauseSchema, () => ({ paused: false, until: null, since: null }), logger);
  const rate = new JsonState(path.join(dataDir, 'rate-limit.json'), rateSchema, () => ({ starts: [] }), logger);
  const id = identity.load();
  await identity.set(id); // persist a freshly created id before it is ever sent
  pause.load();
  rate.load();
  return { identity, pause, rate };
}
