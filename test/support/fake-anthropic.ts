/**
 * A scripted stand-in for the Anthropic Messages API, so the real Claude Code CLI runs offline:
 * `POST /v1/messages` answers with streaming SSE (or JSON when not streaming) from a script that
 * decides each turn — text, a tool_use block, a delay, or an HTTP error. Loopback only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Turn =
  | { text: string; delayMs?: number }
  | { toolUse: { name: string; input: Record<string, unknown> }; text?: string; delayMs?: number }
  | { httpError: { status: number; type?: string; message?: string }; delayMs?: number };

export interface RecordedRequest {
  body: Record<string, unknown>;
  /** The text of the last user message's tool_result / text blocks, for easy assertions. */
  lastUserText: string;
  /** The system prompt as one string. */
  system: string;
}

/** Decides the answer to one main-loop request; `index` counts main-loop requests from 0. */
export type Script = (req: RecordedRequest, index: number) => Turn;

export interface FakeAnthropic {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A script that plays `turns` in order and then answers "done." forever. */
export function scripted(...turns: Turn[]): Script {
  return (_req, i) => turns[i] ?? { text: 'done.' };
}

export async function startFakeAnthropic(script: Script, opts: { model?: string } = {}): Promise<FakeAnthropic> {
  const model = opts.model ?? 'claude-sonnet-4-5';
  const requests: RecordedRequest[] = [];
  let mainIndex = 0;
  let toolSeq = 0;
  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'POST') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      // not JSON: answered below as a bad request
    }
    if (url.pathname.endsWith('/count_tokens')) {
      return json(res, 200, { input_tokens: 100 });
    }
    if (!url.pathname.endsWith('/v1/messages')) {
      return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'not found' } });
    }
    const recorded: RecordedRequest = { body, lastUserText: lastUserText(body), system: systemText(body) };
    // Side requests (titles, quota probes) come without tools; they get a plain short answer.
    const isMainLoop = Array.isArray(body.tools) && body.tools.length > 0;
    let turn: Turn;
    if (isMainLoop) {
      requests.push(recorded);
      turn = script(recorded, mainIndex++);
    } else {
      turn = { text: 'ok' };
    }
    if (turn.delayMs) await new Promise((r) => setTimeout(r, turn.delayMs));
    if ('httpError' in turn) {
      const e = turn.httpError;
      return json(res, e.status, { type: 'error', error: { type: e.type ?? 'api_error', message: e.message ?? 'scripted failure' } });
    }
    const blocks: Record<string, unknown>[] = [];
    if ('text' in turn && turn.text) blocks.push({ type: 'text', text: turn.text });
    if ('toolUse' in turn) blocks.push({ type: 'tool_use', id: `toolu_${String(++toolSeq).padStart(4, '0')}`, name: turn.toolUse.name, input: turn.toolUse.input });
    const stopReason = 'toolUse' in turn ? 'tool_use' : 'end_turn';
    const message = {
      id: `msg_${Date.now()}_${toolSeq}`,
      type: 'message',
      role: 'assistant',
      model: typeof body.model === 'string' ? body.model : model,
      content: blocks,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    };
    if (body.stream !== true) return json(res, 200, message);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown): void => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    send('message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } } });
    blocks.forEach((b, index) => {
      if (b.type === 'text') {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: b.text } });
      } else {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } });
      }
      send('content_block_stop', { type: 'content_block_stop', index });
    });
    send('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 20 } });
    send('message_stop', { type: 'message_stop' });
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function systemText(body: Record<string, unknown>): string {
  const s = body.system;
  if (typeof s === 'string') return s;
  if (Array.isArray(s)) return s.map((b) => (typeof b === 'object' && b && 'text' in b ? String((b as { text: unknown }).text) : '')).join('\n');
  return '';
}

function lastUserText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: string; content?: unknown }[]) : [];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  if (!Array.isArray(last.content)) return '';
  return (last.content as Record<string, unknown>[])
    .map((b) => {
      if (b.type === 'text') return String(b.text ?? '');
      if (b.type === 'tool_result') {
        const c = b.content;
        if (typeof c === 'string') return c;
        if (Array.isArray(c)) return c.map((x) => String((x as { text?: unknown }).text ?? '')).join('\n');
      }
      return '';
    })
    .join('\n');
}
