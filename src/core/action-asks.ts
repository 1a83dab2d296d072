/**
 * One action an AI task wants to take, decided for the CLI (claude.askTools): outside every ask rule it
 * is denied at once; otherwise the local user is asked (when the policy lets the agent ask and a window
 * or console is open to ask in), and every decision is recorded in the task record and the local log.
 */
import { describeAsk, ruleMatches } from '../claude/ask-rules.js';
import type { PermissionAnswer, PermissionRequest } from '../claude/permission-request.js';
import type { StopRequest } from '../exec/types.js';
import type { AgentContext } from './agent-context.js';
import type { InFlight } from './in-flight.js';
import type { LocalControl } from './local-control.js';

export interface ActionContext {
  ctx: AgentContext;
  control: LocalControl;
  flight: InFlight;
  task: string;
  requester: string | null;
  workingDirectory: string;
  progress: (text: string) => void;
}

export async function decideAction(a: ActionContext, req: PermissionRequest): Promise<PermissionAnswer> {
  const claude = a.ctx.config.claude;
  const { summary, detail } = describeAsk(req.tool, req.input, a.workingDirectory);
  const record = (decision: string, by: string): void => {
    a.flight.record = { ...a.flight.record, decisions: [...a.flight.record.decisions, { at: new Date(a.ctx.clock.now()).toISOString(), decision: `${decision}: ${summary}`, by }] };
  };
  const deny = (message: string, by: string): PermissionAnswer => {
    record('deny', by);
    a.progress(`denied: ${summary} (${message})`);
    return { behavior: 'deny', message };
  };
  if (!claude.askTools.some((rule) => ruleMatches(rule, req.tool, req.input, a.workingDirectory))) {
    return deny('Denied: the agent\'s policy does not allow this action (it is in neither claude.allowedTools nor claude.askTools).', 'policy');
  }
  if (!claude.askLocalUser) return deny('Denied: the policy does not ask the local user (claude.askLocalUser is false).', 'policy');
  if (!a.control.windowPresent()) return deny('Denied: no window or console is open, so the local user could not be asked.', 'no window');

  a.progress(`waiting for the local user: ${summary}`);
  a.ctx.emit('notify', { title: 'An AI task asks to act on your computer', body: `${a.requester ? `${a.requester}: ` : ''}${summary}` });
  const outcome = await a.control.asks.ask(
    { commandId: a.flight.record.id, task: a.task, requestedBy: a.requester, workingDirectory: a.workingDirectory, tool: req.tool, summary, detail },
    claude.askTimeoutSeconds * 1000,
    a.flight.controller.signal,
  );
  const at = new Date(outcome.at).toISOString();
  void a.control.record(outcome.decision === 'allow' ? 'allow' : 'deny', `${a.flight.record.id}: ${summary}${outcome.by === 'timeout' ? ' (no answer in time)' : ''}`);
  if (outcome.by === 'timeout') return deny(`Denied: the local user did not answer within ${claude.askTimeoutSeconds} s.`, 'timeout');
  if (outcome.by === 'cancel') return deny('Denied: the task was stopped.', 'cancel');
  if (outcome.decision === 'allow') {
    a.flight.record = { ...a.flight.record, decisions: [...a.flight.record.decisions, { at, decision: `allow: ${summary}`, by: 'user' }] };
    a.progress(`allowed by the local user: ${summary}`);
    return { behavior: 'allow' };
  }
  if (outcome.decision === 'deny-and-stop') {
    const message = 'Denied by the local user, who also stopped the task.';
    deny(message, 'user');
    a.flight.controller.abort({ status: 'cancelled', reason: 'stopped by the local user' } satisfies StopRequest);
    return { behavior: 'deny', message, interrupt: true };
  }
  return deny('Denied by the local user.', 'user');
}
