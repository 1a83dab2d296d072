/**
 * The events of a command's life, one line each in the command log (`commands.jsonl`): it started (or
 * was taken in), its record changed, it finished with a result, the server acknowledged the result.
 * `seen` keeps an old id known (never run twice) after its record and result are compacted away.
 */
import { z } from 'zod';
import { commandResultPayloadSchema, taskRecordSchema } from '../contracts/wire.js';

export const commandEventSchema = z.discriminatedUnion('e', [
  z.object({ e: z.literal('start'), id: z.string(), at: z.number(), record: taskRecordSchema }),
  z.object({ e: z.literal('update'), id: z.string(), at: z.number(), record: taskRecordSchema }),
  z.object({ e: z.literal('finish'), id: z.string(), at: z.number(), record: taskRecordSchema, result: commandResultPayloadSchema.nullable() }),
  z.object({ e: z.literal('ack'), id: z.string(), at: z.number() }),
  z.object({ e: z.literal('seen'), id: z.string(), at: z.number() }),
]);
export type CommandEvent = z.infer<typeof commandEventSchema>;
