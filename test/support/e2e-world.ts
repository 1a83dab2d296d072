/**
 * The world an end-to-end test runs in: the dev RMM server, a scripted model behind the real Claude Code
 * CLI, real in-process agents each with its console, and real Chromium opening the console's URL.
 * Everything listens on 127.0.0.1 and is torn down by `close()`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { startConsoleServer, type ConsoleServer } from '../../src/console/console-server.js';
import { parseConfig } from '../../src/contracts/config.js';
import { Agent } from '../../src/core/agent.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { startDevServer, type DevServer } from '../../src/dev-server/dev-server.js';
import { makeTempDir } from './agent-process.js';
import { CLAUDE_CLI } from './claude-cli.js';
import { startFakeAnthropic, type FakeAnthropic, type RecordedRequest, type Turn } from './fake-anthropic.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RENDERER_DIR = path.join(ROOT, 'dist/renderer');
export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why the e2e tests cannot run here, or undefined when they can. */
export function e2eSkipReason(): string | undefined {
  if (!existsSync(CHROMIUM_PATH)) return `Chromium is not installed at ${CHROMIUM_PATH}; the e2e tests need a real browser.`;
  if (!existsSync(path.join(RENDERER_DIR, 'app.js'))) return 'The renderer is not built; run `node build/build-renderer.mjs` first.';
  return undefined;
}

/** Prints the skip reason once (node:test only shows it in the TAP detail). */
export function skipReasonPrinted(): string | undefined {
  const reason = e2eSkipReason();
  if (reason) console.log(`# e2e skipped: ${reason}`);
  return reason;
}

export interface E2EAgent {
  agent: Agent;
  id: string;
  dataDir: string;
  console: ConsoleServer;
  logger: MemoryLogger;
  /** Stops the console and the agent (its running tasks are reported interrupted). */
  stop(): Promise<void>;
}

export interface AgentOptions {
  config?: Record<string, unknown>;
  dataDir?: string;
  /** Serve the console on this port with this token (a restarted agent keeps its console address). */
  consolePort?: number;
  consoleToken?: string;
}

/** The model's answer: the first user message holds the task, so a script can choose by task text. */
export type ModelScript = (task: string, turn: number, req: RecordedRequest) => Turn;

export class E2EWorld {
  readonly tmp = makeTempDir('e2e-');
  readonly base = path.join(this.tmp.dir, 'share');
  server!: DevServer;
  model!: FakeAnthropic;
  browser!: Browser;
  script: ModelScript = () => ({ text: 'All good: the log has no errors.' });
  readonly #agents = new Set<E2EAgent>();
  #dirSeq = 0;

  static async start(): Promise<E2EWorld> {
    const w = new E2EWorld();
    mkdirSync(path.join(w.base, 'logs'), { recursive: true });
    writeFileSync(path.join(w.base, 'logs', 'sync.log'), '2025-01-01 sync ok\n');
    const [server, model, browser] = await Promise.allSettled([
      startDevServer({ apiKeys: ['k'] }),
      startFakeAnthropic((req) => w.script(firstUserText(req), turnOf(req), req)),
      chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 }),
    ]);
    if (server.status === 'fulfilled') w.server = server.value;
    if (model.status === 'fulfilled') w.model = model.value;
    if (browser.status === 'fulfilled') w.browser = browser.value;
    const failed = [server, model, browser].find((r) => r.status === 'rejected');
    if (failed) {
      await w.close();
      throw failed.reason;
    }
    return w;
  }

  /** A real agent on its data dir, connected to the dev server, with its console on loopback. */
  async startAgent(opts: AgentOptions = {}): Promise<E2EAgent> {
    const { claude: claudeExtra, ...rest } = (opts.config ?? {}) as { claude?: Record<string, unknown> };
    const { config } = parseConfig({
      serverUrl: this.server.agentUrl,
      apiKey: 'k',
      ...rest,
      claude: {
        baseDirectory: this.base,
        executable: CLAUDE_CLI,
        sandbox: 'off',
        env: { ANTHROPIC_BASE_URL: this.model.url, ANTHROPIC_API_KEY: 'x', DISABLE_TELEMETRY: '1' },
        ...claudeExtra,
      },
    });
    const dataDir = opts.dataDir ?? path.join(this.tmp.dir, `data${++this.#dirSeq}`);
    const logger = new MemoryLogger();
    const agent = await Agent.create({ config, dataDir, logger, connectionTiming: { backoff: { initialMs: 20, maxMs: 200 }, heartbeatMs: 5000, pongTimeoutMs: 5000 } });
    agent.start();
    const console = await startConsoleServer({
      agent,
      port: opts.consolePort ?? 0,
      rendererDir: RENDERER_DIR,
      logger,
      ...(opts.consoleToken ? { token: opts.consoleToken } : {}),
    });
    const handle: E2EAgent = {
      agent,
      id: agent.agentId,
      dataDir,
      console,
      logger,
      stop: async () => {
        this.#agents.delete(handle);
        await console.close();
        await agent.stop();
      },
    };
    this.#agents.add(handle);
    await this.server.waitForAgent(20_000, agent.agentId);
    return handle;
  }

  /** Sends an AI task as the technician "tech" (unless `requested_by` says otherwise); returns its id. */
  aiTask(agentId: string, task: string, extra: Record<string, unknown> = {}): string {
    return this.server.dispatch(agentId, { command_type: { claude_task: { task } }, command: '', requested_by: 'tech', ...extra });
  }

  shell(agentId: string, command: string, extra: Record<string, unknown> = {}): string {
    return this.server.dispatch(agentId, { command_type: 'shell', command, requested_by: 'tech', ...extra });
  }

  async close(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    await Promise.allSettled([...this.#agents].map((a) => a.stop()));
    await Promise.allSettled([this.server?.stop(), this.model?.close()]);
    this.tmp.cleanup();
  }
}

/** The token in a console URL. */
export function tokenOf(consoleUrl: string): string {
  return new URL(consoleUrl).searchParams.get('token') ?? '';
}

function messagesOf(req: RecordedRequest): { role?: string; content?: unknown }[] {
  return Array.isArray(req.body.messages) ? (req.body.messages as { role?: string; content?: unknown }[]) : [];
}

function firstUserText(req: RecordedRequest): string {
  const first = messagesOf(req).find((m) => m.role === 'user');
  return first ? JSON.stringify(first.content ?? '') : '';
}

/** 0 for a task's first request, then one more for each assistant turn so far. */
function turnOf(req: RecordedRequest): number {
  return messagesOf(req).filter((m) => m.role === 'assistant').length;
}
