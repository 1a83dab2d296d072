/** A client for the dev server's HTTP API (used by the dispatch CLI and the demo). */
import type { CommandProgressPayload, CommandResultPayload, TaskRecord } from '../contracts/wire.js';
import type { AgentInfo } from './dev-server.js';

export class DispatchClient {
  constructor(
    readonly httpUrl: string,
    readonly token: string,
  ) {}

  async agents(): Promise<AgentInfo[]> {
    return ((await this.#call('GET', '/api/agents')) as { agents: AgentInfo[] }).agents;
  }

  async dispatch(agent: string, payload: Record<string, unknown>): Promise<{ id: string; agent_id: string }> {
    return (await this.#call('POST', `/api/agents/${encodeURIComponent(agent)}/commands`, payload)) as { id: string; agent_id: string };
  }

  async cancel(id: string): Promise<void> {
    await this.#call('POST', `/api/commands/${encodeURIComponent(id)}/cancel`);
  }

  async history(agent: string, limit: number): Promise<TaskRecord[]> {
    return ((await this.#call('POST', `/api/agents/${encodeURIComponent(agent)}/history`, { limit })) as { records: TaskRecord[] }).records;
  }

  /** Streams a command's progress to `onProgress` and resolves with its result. */
  async follow(id: string, onProgress: (p: CommandProgressPayload) => void): Promise<CommandResultPayload> {
    const res = await fetch(`${this.httpUrl}/api/commands/${encodeURIComponent(id)}/events`, { headers: this.#headers() });
    if (!res.ok || !res.body) throw new Error(`The dev server answered HTTP ${res.status} for ${id}.`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let sep: number;
      while ((sep = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, sep);
        buffer = buffer.slice(sep + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || !data) continue;
        if (event === 'progress') onProgress(JSON.parse(data) as CommandProgressPayload);
        if (event === 'result') return JSON.parse(data) as CommandResultPayload;
      }
    }
    throw new Error('The dev server closed the event stream before the result arrived.');
  }

  #headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' };
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.httpUrl}${path}`, { method, headers: this.#headers(), ...(body ? { body: JSON.stringify(body) } : {}) });
    } catch {
      throw new Error(`Cannot reach the dev server at ${this.httpUrl}. Is it running ("npm run dev-server" or "npm run demo")?`);
    }
    const json = (await res.json().catch(() => ({}))) as { error?: string };
    if (!res.ok) throw new Error(`The dev server refused: ${json.error ?? `HTTP ${res.status}`}`);
    return json;
  }
}
