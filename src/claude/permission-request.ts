/**
 * The Claude Code CLI's permission protocol (`--permission-prompt-tool stdio`): each tool call the rules
 * do not settle arrives on stdout as a `control_request` of subtype `can_use_tool`; the agent answers on
 * stdin with a `control_response` that allows it (with the input unchanged) or denies it with a message.
 */
import { z } from 'zod';

export const canUseToolSchema = z.object({
  type: z.literal('control_request'),
  request_id: z.string().min(1),
  request: z.looseObject({
    subtype: z.literal('can_use_tool'),
    tool_name: z.string().min(1),
    input: z.record(z.string(), z.unknown()),
    tool_use_id: z.string().optional(),
  }),
});

export interface PermissionRequest {
  requestId: string;
  tool: string;
  input: Record<string, unknown>;
}

export type PermissionAnswer = { behavior: 'allow' } | { behavior: 'deny'; message: string; interrupt?: boolean };

/** A `can_use_tool` request from one stdout line, or null for any other line. */
export function parsePermissionRequest(line: string): PermissionRequest | null {
  if (!line.includes('"can_use_tool"')) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  const r = canUseToolSchema.safeParse(raw);
  return r.success ? { requestId: r.data.request_id, tool: r.data.request.tool_name, input: r.data.request.input } : null;
}

/** The stdin line that answers `req`; an allowed call runs with exactly the input the user was shown. */
export function permissionResponse(req: PermissionRequest, answer: PermissionAnswer): string {
  const response = answer.behavior === 'allow'
    ? { behavior: 'allow', updatedInput: req.input }
    : { behavior: 'deny', message: answer.message, ...(answer.interrupt ? { interrupt: true } : {}) };
  return `${JSON.stringify({ type: 'control_response', response: { subtype: 'success', request_id: req.requestId, response } })}\n`;
}
