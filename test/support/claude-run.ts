/** Runs one AI task with the real CLI against a scripted model, in a fresh workspace with secrets outside it. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runClaudeTask, type ClaudeRunRequest } from '../../src/claude/claude-executor.js';
import { probeConfinement } from '../../src/confine/cli-sandbox.js';
import { identityOf, type DirectoryIdentity } from '../../src/confine/directory-pin.js';
import type { ClaudeConfig } from '../../src/contracts/config.js';
import type { ExecutionOutcome } from '../../src/exec/types.js';
import { CLAUDE_CLI, claudeConfig } from './claude-cli.js';
import { startFakeAnthropic, type FakeAnthropic, type Script } from './fake-anthropic.js';

export const SECRET = 'TOP-SECRET-VALUE-42';
export const API_KEY = 'RMM-API-KEY-must-never-leak-7f3a';

export interface Workspace {
  base: string;
  work: string;
  secret: string;
  /** An agent policy file next to the base, holding the RMM apiKey. */
  agentConfig: string;
  dataDir: string;
}

let n = 0;

/** A fresh base/work dir pair under `root`, with a secret file and an agent config outside the working dir. */
export function workspace(root: string): Workspace {
  const base = path.join(root, `ws${++n}`);
  const work = path.join(base, 'share', 'logs');
  mkdirSync(work, { recursive: true });
  writeFileSync(path.join(work, 'sync.log'), 'line 1\nERROR disk full at 03:12\nline 3\n');
  const secret = path.join(base, 'secret.txt');
  writeFileSync(secret, `${SECRET}\n`);
  const agentConfig = path.join(root, `agent${n}.json`);
  writeFileSync(agentConfig, JSON.stringify({ serverUrl: 'wss://rmm.example/agent', apiKey: API_KEY }));
  // Outside the base, as the agent requires of its data dir.
  const dataDir = path.join(root, `data${n}`);
  mkdirSync(dataDir);
  return { base, work, secret, agentConfig, dataDir };
}

export interface RunOptions {
  config?: Partial<ClaudeConfig>;
  task?: string;
  contextFiles?: string[];
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Use this workspace instead of a fresh one. */
  ws?: Workspace;
  /** The identity the check recorded (default: the working directory's now). */
  workingDirectoryId?: DirectoryIdentity;
  /** Called when the CLI has started (verified, before it is given the task). */
  onSpawn?: () => void;
}

export interface RunResult {
  outcome: ExecutionOutcome;
  progress: { kind: string; data: string }[];
  model: FakeAnthropic;
  ws: Workspace;
  spawned: number;
  elapsed: number;
}

export async function runWith(root: string, script: Script, opts: RunOptions = {}): Promise<RunResult> {
  const ws = opts.ws ?? workspace(root);
  const model = await startFakeAnthropic(script);
  const progress: { kind: string; data: string }[] = [];
  let spawned = 0;
  try {
    const req: ClaudeRunRequest = {
      commandId: `cmd-${n}`,
      task: opts.task ?? 'Check the sync log for errors',
      workingDirectory: ws.work,
      workingDirectoryId: opts.workingDirectoryId ?? identityOf(ws.work),
      confinement: await probeConfinement(),
      contextFiles: opts.contextFiles ?? [],
      timeoutMs: opts.timeoutMs ?? 60_000,
      outputLimitBytes: 1024 * 1024,
      executable: CLAUDE_CLI,
      config: claudeConfig(model.url, opts.config),
      dataDir: ws.dataDir,
      signal: opts.signal ?? new AbortController().signal,
      onProgress: (kind, data) => progress.push({ kind, data }),
      onSpawn: () => {
        spawned++;
        opts.onSpawn?.();
      },
    };
    const started = Date.now();
    const outcome = await runClaudeTask(req);
    return { outcome, progress, model, ws, spawned, elapsed: Date.now() - started };
  } finally {
    await model.close();
  }
}

/** The working directory the policy sentence names (what the model is told). */
export function workDirOf(system: string): string {
  return /working directory (.+?); do not/.exec(system)?.[1] ?? '';
}

/** What the CLI answers when the model calls a tool it was not offered. */
export const NO_SUCH_TOOL = /No such tool available/;

/** Everything the model was sent, as one string. */
export const allRequestText = (model: { requests: { body: unknown }[] }): string => model.requests.map((r) => JSON.stringify(r.body)).join('\n');
