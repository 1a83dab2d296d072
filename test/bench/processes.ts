/**
 * The processes a bench row talks to through the dev server: the real agent (from source through tsx, as
 * test/support/agent-process.ts runs it, or from the built tree as `npm run agent` does) and the floor
 * client (test/bench/floor-client.ts compiled to plain JavaScript, so it runs on bare node like a built agent).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { DevServer } from '../../src/dev-server/dev-server.js';
import type { Notes } from './stats.js';
import { startAgentProcess, stopAgentProcess, type AgentProcess } from '../support/agent-process.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const API_KEY = 'bench-key';
export const BUILT_MAIN = path.join(ROOT, 'dist/src/headless/main.js');

/** What every row gets: the dev server both sides talk to, a scratch directory, and the notes printed after the table. */
export interface BenchContext {
  server: DevServer;
  dir: string;
  notes: Notes;
}

/** A process connected to the dev server under `agentId`. */
export interface Client {
  pid: number;
  agentId: string;
  output(): string;
  stop(): Promise<void>;
}

/** A child process with its output kept, for waiting on a line it prints. */
export class Proc {
  readonly child: ChildProcess;
  readonly #group: boolean;
  #out = '';
  readonly #waiters = new Set<() => void>();
  readonly exited: Promise<number | string>;

  /** With `group`, the child leads its own process group and stop() signals the whole group (npm and what it runs). */
  constructor(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; group?: boolean } = {}) {
    this.#group = opts.group ?? false;
    this.child = spawn(file, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: this.#group });
    const onData = (d: Buffer): void => {
      this.#out += d.toString();
      for (const w of this.#waiters) w();
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  }

  output(): string {
    return this.#out;
  }

  waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this.#out.match(pattern);
        if (!m) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; output: ${this.#out.slice(-800)}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
  async stop(graceMs = 20_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const pid = this.child.pid!;
    const kill = (sig: NodeJS.Signals): void => {
      try {
        process.kill(this.#group ? -pid : pid, sig);
      } catch {
        // already gone
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

let floorScript: string | null = null;

/** floor-client.ts as plain JavaScript in `dir`, importing ws by absolute URL (compiled once per run). */
export function floorClientScript(dir: string): string {
  if (floorScript) return floorScript;
  const source = readFileSync(path.join(ROOT, 'test/bench/floor-client.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const wsUrl = import.meta.resolve('ws', import.meta.url);
  mkdirSync(dir, { recursive: true });
  floorScript = path.join(dir, 'floor-client.mjs');
  writeFileSync(floorScript, js.replace(/from ['"]ws['"]/, `from ${JSON.stringify(wsUrl)}`));
  return floorScript;
}

/** Starts the floor client and waits until the dev server has it. */
export async function startFloor(server: DevServer, dir: string): Promise<Client & { proc: Proc }> {
  const agentId = randomUUID();
  const proc = new Proc(process.execPath, [floorClientScript(dir), server.agentUrl, API_KEY, agentId]);
  await proc.waitFor(/authenticated/);
  await server.waitForAgent(20_000, agentId);
  return { pid: proc.child.pid!, agentId, proc, output: () => proc.output(), stop: () => proc.stop() };
}

/** The agent's policy for this server (plus `extra`) and its data dir inside `dir`. */
export function agentFiles(dir: string, server: DevServer, extra: Record<string, unknown> = {}): { config: Record<string, unknown>; dataDir: string } {
  mkdirSync(dir, { recursive: true });
  return { config: { serverUrl: server.agentUrl, apiKey: API_KEY, ...extra }, dataDir: path.join(dir, 'data') };
}

/** Which form of the agent the rows run: the built tree (default, as `npm run agent` runs it) or, with BENCH_AGENT=tsx, the sources through tsx. */
export const agentForm: { current: 'built' | 'tsx' } = { current: process.env.BENCH_AGENT === 'tsx' ? 'tsx' : 'built' };

/** The real agent in its own process, connected to `server`, in the form agentForm says. */
export function startAgent(server: DevServer, dir: string, extra: Record<string, unknown> = {}): Promise<Client> {
  return agentForm.current === 'tsx' ? startSourceAgent(server, dir, extra) : startBuiltAgent(server, dir, extra);
}

/** The real agent from source (node --import tsx src/headless/main.ts, test/support/agent-process.ts), connected to `server`. */
export async function startSourceAgent(server: DevServer, dir: string, extra: Record<string, unknown> = {}): Promise<Client & { proc: AgentProcess }> {
  const { config, dataDir } = agentFiles(dir, server, extra);
  const proc = startAgentProcess({ dir, config, dataDir });
  const agentId = (await proc.waitForOutput(/agent \S+ running/, 60_000)).split(' ')[1]!;
  await server.waitForAgent(30_000, agentId);
  return { pid: proc.child.pid!, agentId, proc, output: () => proc.output(), stop: async () => void (await stopAgentProcess(proc)) };
}

/** The real agent from the built tree (node dist/src/headless/main.js), connected to `server`. */
export async function startBuiltAgent(server: DevServer, dir: string, extra: Record<string, unknown> = {}): Promise<Client & { proc: Proc }> {
  const { config, dataDir } = agentFiles(dir, server, extra);
  const configPath = path.join(dir, 'agent.json');
  writeFileSync(configPath, JSON.stringify(config));
  const proc = new Proc(process.execPath, [BUILT_MAIN, '--config', configPath, '--data-dir', dataDir]);
  const agentId = (await proc.waitFor(/agent (\S+) running/, 60_000))[1]!;
  await server.waitForAgent(30_000, agentId);
  return { pid: proc.child.pid!, agentId, proc, output: () => proc.output(), stop: () => proc.stop() };
}

/**
 * Brings the built tree up to date the way `npm run agent` does (build/run-built.mjs compiles only when a
 * source is newer than the last build). Returns whether it compiled and how long that took.
 */
export function ensureBuilt(): { compiled: boolean; ms: number } {
  const stamp = path.join(ROOT, 'dist/.build-stamp');
  const before = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'build/run-built.mjs'), 'dist/src/headless/main.js', '--version'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the build failed: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' ')}`);
  const after = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return { compiled: after !== before, ms: performance.now() - t0 };
}

/** ensureBuilt, tried again every 5 s for up to `patienceMs` while it fails (others may be mid-edit in this tree). */
export async function ensureBuiltPatiently(patienceMs = 120_000): Promise<{ compiled: boolean; ms: number; failures: number }> {
  const deadline = performance.now() + patienceMs;
  for (let failures = 0; ; failures++) {
    try {
      return { ...ensureBuilt(), failures };
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
}

/** Resolves with performance.now() once the dev server has `agentId` connected (or, with `connected` false, disconnected); polled every 2 ms. */
export async function whenConnected(server: DevServer, agentId: string, connected = true, timeoutMs = 60_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const a = server.agents().find((x) => x.agent_id === agentId);
    if ((a?.connected ?? false) === connected) return performance.now();
    if (performance.now() > deadline) throw new Error(`agent ${agentId} not ${connected ? 'connected' : 'gone'} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
