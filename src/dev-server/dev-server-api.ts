/** The dev server's HTTP API for technicians' tools (the dispatch CLI): loopback, admin token, same origin only. */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { CommandState, DevServer } from './dev-server.js';

const dispatchBodySchema = z.looseObject({
  id: z.string().min(1).max(200).optional(),
  command_type: z.unknown(),
});

export async function handleDevApi(server: DevServer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const origin = req.headers.origin;
  if (origin && origin !== server.httpUrl) return sendJson(res, 403, { error: 'cross-origin requests are not allowed' });
  const token = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer\s+/i, ''));
  const good = Buffer.from(server.adminToken);
  if (token.length !== good.length || !timingSafeEqual(token, good)) {
    return sendJson(res, 401, { error: 'missing or wrong admin token' });
  }
  const url = new URL(req.url ?? '/', server.httpUrl);
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[0] !== 'api') return sendJson(res, 404, { error: 'not found' });

  if (req.method === 'GET' && parts.length === 2 && parts[1] === 'agents') return sendJson(res, 200, { agents: server.agents() });

  if (parts[1] === 'agents' && parts.length === 4 && req.method === 'POST') {
    const agentId = pickAgent(server, decodeURIComponent(parts[2]!));
    if (!agentId) return sendJson(res, 409, { error: 'no such agent is connected' });
    const body = await readJson(req);
    if (parts[3] === 'commands') {
      const parsed = dispatchBodySchema.safeParse(body);
      if (!parsed.success) return sendJson(res, 400, { error: 'body must be a command payload object' });
      const id = server.dispatch(agentId, parsed.data);
      return sendJson(res, 201, { id, agent_id: agentId });
    }
    if (parts[3] === 'history') {
      const limit = typeof (body as { limit?: unknown }).limit === 'number' ? (body as { limit: number }).limit : 50;
      try {
        return sendJson(res, 200, { records: await server.requestHistory(agentId, limit) });
      } catch (err) {
        return sendJson(res, 504, { error: (err as Error).message });
      }
    }
  }

  if (parts[1] === 'commands' && parts[2]) {
    const id = decodeURIComponent(parts[2]);
    const cmd = server.command(id);
    if (!cmd) return sendJson(res, 404, { error: 'no such command' });
    if (req.method === 'GET' && parts.length === 3) return sendJson(res, 200, { ...cmd, result: cmd.results[0] ?? null });
    if (req.method === 'POST' && parts[3] === 'cancel') return sendJson(res, server.cancel(id) ? 202 : 409, { id });
    if (req.method === 'GET' && parts[3] === 'events') return streamEvents(server, res, cmd);
  }
  return sendJson(res, 404, { error: 'not found' });
}

function pickAgent(server: DevServer, requested: string): string | null {
const connected = server.agents().filter((a) => a.connected);
if (requested === 'first') return connected[0]?.agent_id ?? null;
return connected.some((a) => a.agent_id === requested) ? requested : null;
}

/** Server-sent events: every progress frame so far and to come, then the result. */
function streamEvents(server: DevServer, res: ServerResponse, cmd: CommandState): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const write = (event: string, data: unknown): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  for (const p of cmd.progress) write('progress', p);
  if (cmd.results[0]) {
    write('result', cmd.results[0]);
    res.end();
    return;
  }
  const unsubscribe = server.subscribe(cmd.id, (e) => {
    write(e.type, e.data);
    if (e.type === 'result') {
      unsubscribe();
      res.end();
    }
  });
  res.on('close', unsubscribe);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1024 * 1024) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}
