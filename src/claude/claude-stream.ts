/**
 * The CLI's stdout is NDJSON. Every line is parsed with schemas that tolerate unknown fields and turned
 * into progress items; nothing the CLI prints can throw out of here.
 */
import { z } from 'zod';
import type { ProgressKind } from '../contracts/wire.js';

const contentBlock = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
  content: z.unknown().optional(),
  is_error: z.boolean().optional(),
});

const messageSchema = z.looseObject({ content: z.union([z.array(contentBlock), z.string()]).optional() });

export const resultEventSchema = z.looseObject({
  type: z.literal('result'),
  subtype: z.string(),
  is_error: z.boolean().optional(),
  result: z.string().optional(),
  num_turns: z.number().optional(),
  total_cost_usd: z.number().optional(),
  api_error_status: z.number().nullish(),
  errors: z.array(z.unknown()).optional(),
  permission_denials: z
    .array(z.looseObject({ tool_name: z.string().optional(), tool_input: z.unknown().optional() }))
    .optional(),
});
export type ResultEvent = z.infer<typeof resultEventSchema>;

const eventSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('system'), subtype: z.string().optional(), model: z.string().optional(), attempt: z.number().optional(), max_retries: z.number().optional() }),
  z.looseObject({ type: z.literal('assistant'), message: messageSchema }),
  z.looseObject({ type: z.literal('user'), message: messageSchema }),
  resultEventSchema,
]);
export type ClaudeEvent = z.infer<typeof eventSchema>;

export interface ProgressItem {
  kind: ProgressKind;
  data: string;
}

const SUMMARY_CHARS = 160;

/** Parses one stdout line; null for blank, non-JSON or unknown lines. */
export function parseClaudeLine(line: string): ClaudeEvent | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(trimmed);
  } catch {
    return null;
  }
  const parsed = eventSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** What the window and the technician see for one event. */
export function describeEvent(event: ClaudeEvent): ProgressItem[] {
  switch (event.type) {
    case 'system':
      if (event.subtype === 'init') return [{ kind: 'text', data: `started (${event.model ?? 'default model'})` }];
      if (event.subtype === 'api_retry') {
        return [{ kind: 'text', data: `retrying ${event.attempt ?? '?'}/${event.max_retries ?? '?'}` }];
      }
      return [];
    case 'assistant': {
      const blocks = Array.isArray(event.message.content) ? event.message.content : [];
      const out: ProgressItem[] = [];
      for (const b of blocks) {
        if (b.type === 'text' && b.text?.trim()) out.push({ kind: 'text', data: b.text });
        if (b.type === 'tool_use') out.push({ kind: 'tool_use', data: summarizeToolUse(b.name ?? 'tool', b.input) });
      }
      return out;
    }
    case 'user': {
      const blocks = Array.isArray(event.message.content) ? event.message.content : [];
      return blocks
        .filter((b) => b.type === 'tool_result' && b.is_error === true)
        .map((b) => ({ kind: 'tool_result' as const, data: `denied: ${oneLine(contentText(b.content))}` }));
    }
    case 'result':
      return [];
  }
}

/** "Read sync.log", "Bash: git status", "Grep: ERROR in logs" — one line. */
export function summarizeToolUse(name: string, input: unknown): string {
  const i = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const str = (k: string): string | null => (typeof i[k] === 'string' ? (i[k] as string) : null);
  let text: string;
  if (name === 'Bash') text = `Bash: ${str('command') ?? ''}`;
  else if (['Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit'].includes(name)) text = `${name} ${shortPath(str('file_path') ?? str('notebook_path') ?? '')}`;
  else if (name === 'Grep') text = `Grep: ${str('pattern') ?? ''}${str('path') ? ` in ${shortPath(str('path')!)}` : ''}`;
  else if (name === 'Glob') text = `Glob: ${str('pattern') ?? ''}`;
  else if (name === 'WebFetch') text = `WebFetch ${str('url') ?? ''}`;
  else {
    const first = Object.values(i).find((v) => typeof v === 'string') as string | undefined;
    text = first ? `${name}: ${first}` : name;
  }
  return oneLine(text);
}

/** Short text naming a permission denial, for the result and the window. */
export function describeDenial(d: { tool_name?: string | undefined; tool_input?: unknown }): string {
  return summarizeToolUse(d.tool_name ?? 'tool', d.tool_input);
}

function shortPath(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts.length <= 2 ? p : parts.slice(-2).join('/');
}

function contentText(c: unknown): string {
  if (typeof c === 'string') return c;
  // Only string text: String() on an object whose toString is not a function throws.
  if (Array.isArray(c)) return c.map((x: unknown) => (typeof x === 'object' && x !== null && typeof (x as { text?: unknown }).text === 'string' ? (x as { text: string }).text : '')).join(' ');
  return '';
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > SUMMARY_CHARS ? `${flat.slice(0, SUMMARY_CHARS - 1)}…` : flat;
}

/** Splits a byte stream into lines; a single line is kept up to `maxLineBytes` (the rest is dropped). */
export class LineSplitter {
  readonly #max: number;
  #buf: Buffer[] = [];
  #len = 0;
  #overflow = false;

  constructor(maxLineBytes = 32 * 1024 * 1024) {
    this.#max = maxLineBytes;
  }

  push(chunk: Buffer, onLine: (line: string) => void): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      const part = chunk.subarray(start, end);
      if (!this.#overflow) {
        const room = this.#max - this.#len;
        if (part.length > room) {
          this.#buf.push(part.subarray(0, room));
          this.#len += room;
          this.#overflow = true;
        } else if (part.length > 0) {
          this.#buf.push(part);
          this.#len += part.length;
        }
      }
      if (nl === -1) return;
      this.#emit(onLine);
      start = nl + 1;
    }
  }

  end(onLine: (line: string) => void): void {
    if (this.#len > 0) this.#emit(onLine);
  }

  #emit(onLine: (line: string) => void): void {
    const line = Buffer.concat(this.#buf, this.#len).toString('utf8');
    this.#buf = [];
    this.#len = 0;
    this.#overflow = false;
    onLine(line);
  }
}
