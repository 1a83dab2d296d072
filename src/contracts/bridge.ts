/**
 * The bridge between the agent core and the window (SPEC §2 (c), §5, §6): the snapshot the window shows,
 * the calls it may make and the events it receives. One zod module; the Electron preload (over IPC) and
 * the console (over a WebSocket) both validate every call against it, and the renderer every message.
 */
import { z } from 'zod';
import { agentStatusPayloadSchema, progressKindSchema, taskRecordSchema } from './wire.js';

/** A task record without its output: what snapshots carry (output is fetched on demand). */
export const recordSummarySchema = taskRecordSchema.omit({ stdout: true, stderr: true }).extend({
  stdout_bytes: z.number().int().min(0),
  stderr_bytes: z.number().int().min(0),
});
export type RecordSummary = z.infer<typeof recordSummarySchema>;

export const approvalViewSchema = z.object({
  commandId: z.string(),
  /** An AI task, or a shell command held for consent (shellApproval: consent). */
  kind: z.enum(['ai', 'shell']),
  /** Minutes the card may offer to allow this technician's AI tasks for (approvalGrantMinutes); null: no such offer. */
  grantMinutes: z.number().int().positive().nullable(),
  task: z.string(),
  requestedBy: z.string().nullable(),
  workingDirectory: z.string(),
  expiresAt: z.string(),
});
export type ApprovalView = z.infer<typeof approvalViewSchema>;

/** One action an AI task wants to take, waiting for the local user (claude.askTools). */
export const askViewSchema = z.object({
  askId: z.string(),
  commandId: z.string(),
  task: z.string(),
  requestedBy: z.string().nullable(),
  workingDirectory: z.string(),
  /** The tool, e.g. "Bash", "Edit", "Write". */
  tool: z.string(),
  /** One line: "Bash: systemctl restart nginx", "Edit logs/app.conf". */
  summary: z.string(),
  /** Exactly what it will do: the whole command, or the path and a preview of the change. Never cut in the middle. */
  detail: z.string(),
  expiresAt: z.string(),
});
export type AskView = z.infer<typeof askViewSchema>;

export const localEventSchema = z.object({
  at: z.string(),
  action: z.enum(['pause', 'resume', 'stop', 'allow', 'deny']),
  detail: z.string(),
});
export type LocalEvent = z.infer<typeof localEventSchema>;

export const connectionStateSchema = z.enum(['connecting', 'connected', 'offline', 'auth_failed']);

export const agentSnapshotSchema = z.object({
  agentId: z.string(),
  hostname: z.string(),
  version: z.string(),
  connection: z.object({ state: connectionStateSchema, detail: z.string().nullable(), serverUrl: z.string() }),
  paused: z.boolean(),
  pausedUntil: z.string().nullable(),
  approvalRequired: z.boolean(),
  /** Shell-command consent: what the policy sets, and what applies (the local user may only raise it). */
  shellApproval: z.object({ policy: z.enum(['off', 'notify', 'consent']), effective: z.enum(['off', 'notify', 'consent']) }),
  /** Technicians whose AI tasks run without a card until `until` (ended by pause or revoke). */
  grants: z.array(z.object({ requester: z.string(), until: z.string() })),
  userMayQuit: z.boolean(),
  claude: z.object({
    available: z.boolean(),
    problem: z.string().nullable(),
    /** How AI tasks are confined here; `warning` is set when they run unconfined (claude.sandbox auto). */
    confinement: z.object({ confined: z.boolean(), detail: z.string(), warning: z.string().nullable() }),
    budget: agentStatusPayloadSchema.shape.rate_limit,
    /** When the oldest AI-task start leaves the window (a slot frees), while any is used; null when none is. */
    nextSlotFreesAt: z.string().nullable(),
    concurrency: agentStatusPayloadSchema.shape.concurrency,
  }),
  /** What the agent could not read at start-up and how it failed safe (shown as a warning). */
  warnings: z.array(z.string()),
  running: z.array(z.object({ record: recordSummarySchema, tail: z.string(), tailKind: progressKindSchema.nullable() })),
  awaitingApproval: z.array(approvalViewSchema),
  asks: z.array(askViewSchema),
  recent: z.array(recordSummarySchema),
  localEvents: z.array(localEventSchema),
});
export type AgentSnapshot = z.infer<typeof agentSnapshotSchema>;

export const historyFilterSchema = z.enum(['all', 'ai', 'shell', 'refused']);
export type HistoryFilter = z.infer<typeof historyFilterSchema>;

const commandId = z.string().min(1).max(1024);
/** The longest timed pause the window offers is an hour; "until resumed" is null. A day bounds a bad caller. */
const pauseDuration = z.number().int().positive().max(24 * 3_600_000).nullable();

/** Every call the window can make, with its arguments: validated where it enters the core. */
export const bridgeCallSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('getSnapshot') }),
  z.object({ method: z.literal('pause'), durationMs: pauseDuration, alsoStop: z.boolean() }),
  z.object({ method: z.literal('resume') }),
  z.object({ method: z.literal('stopTask'), commandId }),
  z.object({ method: z.literal('stopAll') }),
  z.object({ method: z.literal('approve'), commandId, grant: z.boolean().optional() }),
  z.object({ method: z.literal('revokeGrant'), requester: z.string().min(1).max(200) }),
  z.object({ method: z.literal('setShellApproval'), level: z.enum(['off', 'notify', 'consent']) }),
  z.object({ method: z.literal('deny'), commandId }),
  z.object({ method: z.literal('getHistory'), filter: historyFilterSchema, limit: z.number().int().min(1).max(1000) }),
  z.object({ method: z.literal('getTaskOutput'), commandId }),
  z.object({ method: z.literal('answerAsk'), askId: z.string().min(1).max(200), decision: z.enum(['allow', 'deny', 'deny-and-stop']) }),
]);
export type BridgeCall = z.infer<typeof bridgeCallSchema>;
export type BridgeMethod = BridgeCall['method'];

export const taskOutputSchema = z.object({ stdout: z.string(), stderr: z.string() }).nullable();
export type TaskOutput = z.infer<typeof taskOutputSchema>;

/** What the core pushes to a subscribed window. */
export const bridgeEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), snapshot: agentSnapshotSchema }),
  z.object({ type: z.literal('progress'), commandId: z.string(), kind: progressKindSchema, data: z.string() }),
]);
export type BridgeEvent = z.infer<typeof bridgeEventSchema>;

/** The console's WebSocket messages: a call with its id, the answer to it, or a pushed event. */
export const consoleRequestSchema = z.object({ id: z.number().int().nonnegative(), call: bridgeCallSchema });
export const consoleMessageSchema = z.union([
  z.object({ id: z.number().int().nonnegative(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.number().int().nonnegative(), ok: z.literal(false), error: z.string() }),
  z.object({ event: bridgeEventSchema }),
]);
export type ConsoleMessage = z.infer<typeof consoleMessageSchema>;
