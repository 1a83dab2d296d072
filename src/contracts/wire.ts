/**
 * The wire protocol between the agent and the RMM server (SPEC §3): one zod schema per frame,
 * types inferred from them. Inbound schemas ignore unknown fields (forward compatible).
 */
import { z } from 'zod';

export const AGENT_CAPABILITIES = ['shell', 'powershell', 'python', 'claude_task', 'cancel', 'progress', 'status'] as const;

/** Any frame: `{type, payload}`. The payload is checked against the type's own schema afterwards. */
export const envelopeSchema = z.object({
  type: z.string().min(1).max(64),
  payload: z.record(z.string(), z.unknown()).default({}),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** Ids are compared byte for byte: `" job "` and `job` are two commands, so nothing here trims or normalises. */
export const commandIdSchema = z.string().min(1, 'command id is empty').max(200, 'command id is longer than 200 characters');

// ---- server -> agent ----

export const shellKindSchema = z.enum(['shell', 'powershell', 'python']);
export type ShellKind = z.infer<typeof shellKindSchema>;

export const claudeTaskSpecSchema = z.object({
  task: z.string(),
  working_directory: z.string().nullish(),
  context_files: z.array(z.string()).nullish(),
});
export type ClaudeTaskSpec = z.infer<typeof claudeTaskSpecSchema>;

export const commandTypeSchema = z.union([
  shellKindSchema,
  z.object({ claude_task: claudeTaskSpecSchema }),
]);

export const commandPayloadSchema = z.object({
  id: commandIdSchema,
  command_type: commandTypeSchema,
  command: z.string().default(''),
  timeout_seconds: z.number().positive('timeout_seconds must be positive').finite().nullish(),
  elevated: z.boolean().default(false),
  requested_by: z.string().max(200).nullish(),
  signature: z.string().nullish(),
  issued_at: z.string().nullish(),
});
export type CommandPayload = z.infer<typeof commandPayloadSchema>;

export const authOkPayloadSchema = z.object({ agent_id: z.string().optional() });
export const authErrorPayloadSchema = z.object({ message: z.string().default('authentication failed') });
export const cancelPayloadSchema = z.object({ command_id: commandIdSchema });
export const resultAckPayloadSchema = z.object({ command_id: commandIdSchema });
export const historyRequestPayloadSchema = z.object({
  limit: z.number().int().positive().default(50).transform((n) => Math.min(n, 1000)),
});

/** Schemas of every inbound frame type the agent understands, keyed by `type`. */
export const inboundPayloadSchemas = {
  auth_ok: authOkPayloadSchema,
  auth_error: authErrorPayloadSchema,
  command: commandPayloadSchema,
  cancel: cancelPayloadSchema,
  result_ack: resultAckPayloadSchema,
  history_request: historyRequestPayloadSchema,
} as const;
export type InboundType = keyof typeof inboundPayloadSchemas;

/** Own keys only: a `type` such as "constructor" or "__proto__" must not find an inherited member. */
export function isInboundType(type: string): type is InboundType {
  return Object.hasOwn(inboundPayloadSchemas, type);
}
/** A validated inbound frame; `raw` is the payload as received (signature checks need the unstripped fields). */
export type InboundMessage = {
  [K in InboundType]: { type: K; payload: z.infer<(typeof inboundPayloadSchemas)[K]>; raw?: Record<string, unknown> };
}[InboundType];

// ---- agent -> server ----

export const resultStatusSchema = z.enum(['succeeded', 'failed', 'timed_out', 'refused', 'cancelled', 'interrupted']);
export type ResultStatus = z.infer<typeof resultStatusSchema>;

export const claudeResultInfoSchema = z.object({
  model: z.string().nullable(),
  num_turns: z.number().nullable(),
  total_cost_usd: z.number().nullable(),
  permission_denials: z.array(z.string()),
  /** How the task was confined ("confined by bubblewrap"), or why it was not. */
  confinement: z.string().optional(),
});
export type ClaudeResultInfo = z.infer<typeof claudeResultInfoSchema>;

export const commandResultPayloadSchema = z.object({
  command_id: commandIdSchema,
  exit_code: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
  duration_ms: z.number().int().nonnegative(),
  status: resultStatusSchema,
  reason: z.string().nullable(),
  claude: claudeResultInfoSchema.optional(),
});
export type CommandResultPayload = z.infer<typeof commandResultPayloadSchema>;

/** SPEC §3.3: stdout/stderr for shell commands; text, tool_use, tool_result, stderr for AI tasks. */
export const progressKindSchema = z.enum(['stdout', 'stderr', 'text', 'tool_use', 'tool_result']);
export type ProgressKind = z.infer<typeof progressKindSchema>;

export const commandProgressPayloadSchema = z.object({
  command_id: commandIdSchema,
  seq: z.number().int().nonnegative(),
  kind: progressKindSchema,
  data: z.string(),
});
export type CommandProgressPayload = z.infer<typeof commandProgressPayloadSchema>;

export const authPayloadSchema = z.object({
  api_key: z.string(),
  agent_id: z.string(),
  hostname: z.string(),
  os: z.string(),
  os_version: z.string(),
  agent_version: z.string(),
  capabilities: z.array(z.string()),
});
export type AuthPayload = z.infer<typeof authPayloadSchema>;

export const heartbeatPayloadSchema = z.object({ timestamp: z.string(), status: z.string() });

export const agentStatusPayloadSchema = z.object({
  paused: z.boolean(),
  paused_until: z.string().nullable(),
  approval_required: z.boolean(),
  running: z.array(z.string()),
  queued_for_approval: z.array(z.string()),
  /** AI tasks waiting for the local user to allow or deny an action (absent from older agents). */
  waiting_for_local_user: z.array(z.string()).optional(),
  rate_limit: z.object({
    limit: z.number().int(),
    used: z.number().int(),
    window_seconds: z.number().int(),
    next_slot_at: z.string().nullable(),
  }),
  concurrency: z.object({ limit: z.number().int(), running: z.number().int() }),
});
export type AgentStatusPayload = z.infer<typeof agentStatusPayloadSchema>;

export const taskRecordSchema = z.object({
  id: z.string(),
  kind: z.enum(['shell', 'powershell', 'python', 'claude_task']),
  summary: z.string(),
  requested_by: z.string().nullable(),
  working_directory: z.string().nullable(),
  received_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  status: resultStatusSchema.or(z.enum(['running', 'awaiting_approval'])),
  exit_code: z.number().int().nullable(),
  duration_ms: z.number().int().nullable(),
  reason: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  claude: claudeResultInfoSchema.optional(),
  decisions: z.array(z.object({ at: z.string(), decision: z.string(), by: z.string() })).default([]),
});
export type TaskRecord = z.infer<typeof taskRecordSchema>;

export const historyPayloadSchema = z.object({ records: z.array(taskRecordSchema) });

/** Schemas of every outbound frame, keyed by `type`; used to type `send` and by the dev server. */
export const outboundPayloadSchemas = {
  auth: authPayloadSchema,
  heartbeat: heartbeatPayloadSchema,
  command_result: commandResultPayloadSchema,
  command_progress: commandProgressPayloadSchema,
  agent_status: agentStatusPayloadSchema,
  history: historyPayloadSchema,
} as const;
export type OutboundType = keyof typeof outboundPayloadSchemas;
export type OutboundMessage = {
  [K in OutboundType]: { type: K; payload: z.infer<(typeof outboundPayloadSchemas)[K]> };
}[OutboundType];

export type ParsedFrame =
  | { ok: true; message: InboundMessage }
  | { ok: false; error: string; commandId: string | null; type: string | null; unknownType?: boolean };

/** Describes a zod error as one line naming the offending field(s). */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * Deepest nesting accepted in a frame. Real frames nest five levels; the signature check and
 * JSON.stringify recurse, and a few thousand levels exhaust their stack.
 */
export const MAX_FRAME_DEPTH = 64;

/**
 * Parses one text frame from the server. Never throws: anything malformed comes back as
 * `ok: false` with the reason and, where one can be recognised, the command id to answer.
 */
export function parseInboundFrame(text: string): ParsedFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: 'frame is not valid JSON', commandId: null, type: null };
  }
  if (nestedDeeperThan(raw, MAX_FRAME_DEPTH)) {
    const command = (raw as { type?: unknown }).type === 'command';
    return { ok: false, error: `frame is nested more than ${MAX_FRAME_DEPTH} levels deep`, commandId: command ? recogniseCommandId(raw) : null, type: command ? 'command' : null };
  }
  const env = envelopeSchema.safeParse(raw);
  if (!env.success) {
    return { ok: false, error: `frame is not {type, payload}: ${describeZodError(env.error)}`, commandId: recogniseCommandId(raw), type: null };
  }
  const { type, payload } = env.data;
  if (!isInboundType(type)) {
    return { ok: false, error: `unknown frame type "${type}"`, commandId: null, type, unknownType: true };
  }
  const parsed = inboundPayloadSchemas[type].safeParse(payload);
  if (!parsed.success) {
    const commandId = type === 'command' ? recogniseCommandId(raw) : null;
    return { ok: false, error: `invalid ${type} frame: ${describeZodError(parsed.error)}`, commandId, type };
  }
  return { ok: true, message: { type, payload: parsed.data, raw: payload } as InboundMessage };
}

/** Walks the value without recursion, so the depth check itself cannot exhaust the stack. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

function recogniseCommandId(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const payload = (raw as { payload?: unknown }).payload;
  if (typeof payload !== 'object' || payload === null) return null;
  const id = commandIdSchema.safeParse((payload as { id?: unknown }).id);
  return id.success ? id.data : null;
}
