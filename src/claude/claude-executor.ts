/**
 * Runs one AI task with the real Claude Code CLI (SPEC §4.2): absolute executable, no shell, the task as
 * one stream-json message on stdin, progress parsed from stdout, and a graceful interrupt before the
 * whole process tree is killed. Nothing the task started outlives it.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { ClaudeConfig } from '../contracts/config.js';
import { findExecutable } from '../exec/find-executable.js';
import { CappedOutput } from '../exec/output-capture.js';
import { spawnTree } from '../exec/process-tree.js';
import { stoppedBeforeStart, stopRequestOf, type ExecutionOutcome, type ProgressSink, type StopRequest } from '../exec/types.js';
import { ensurePrivateDir, writeFileAtomic } from '../store/atomic-file.js';
import { buildClaudeArgs } from './claude-args.js';
import { buildClaudeEnv, claudeConfigDir } from './claude-env.js';
import { decideOutcome, type ClaudeRunFacts } from './claude-outcome.js';
import { describeEvent, LineSplitter, parseClaudeLine, type ResultEvent } from './claude-stream.js';

export interface ClaudeRunRequest {
  commandId: string;
  task: string;
  /** Canonical and already validated. */
  workingDirectory: string;
  /** Relative to the working directory, already validated. */
  contextFiles: string[];
  timeoutMs: number;
  outputLimitBytes: number;
  /** Absolute path of the CLI. */
  executable: string;
  config: ClaudeConfig;
  dataDir: string;
  signal: AbortSignal;
  onProgress: ProgressSink;
  /** Called right after the CLI process has started (the moment a rate-limit slot is taken). */
  onSpawn?: () => void;
  treeMarker?: string;
}

/** How long the CLI gets to stop by itself after the interrupt request. */
export const INTERRUPT_GRACE_MS = 5000;

/** Finds the CLI as an absolute path; on Windows only the native claude.exe, never the .cmd shim. */
export async function resolveClaudeExecutable(configured: string, platform: NodeJS.Platform = process.platform): Promise<{ path: string } | { error: string }> {
  const found = findExecutable(configured, { platform, extensions: ['.exe'] });
  if (found) return { path: found };
  return {
    error: `Claude Code CLI not found at ${configured}${configured.includes('/') || configured.includes('\\') ? '' : ' (searched PATH)'}. AI tasks are refused until the admin installs it or sets claude.executable.`,
  };
}

/**
 * The CLI settings that turn its own sandbox on (Linux and macOS only); null when none is written.
 * The sandbox only adds confinement: it must never grant anything. So Bash is not auto-allowed because
 * it is sandboxed (the CLI's default), and the model cannot ask to run a command outside the sandbox.
 */
export function sandboxSettings(mode: ClaudeConfig['sandbox'], platform: NodeJS.Platform = process.platform): object | null {
  if (mode === 'off' || (platform !== 'linux' && platform !== 'darwin')) return null;
  return {
    sandbox: {
      enabled: true,
      failIfUnavailable: mode === 'required',
      autoAllowBashIfSandboxed: false,
      allowUnsandboxedCommands: false,
    },
  };
}

/** The one stream-json user message that carries the task. */
export function taskMessage(task: string, contextFiles: string[]): string {
  let text = task;
  if (contextFiles.length > 0) {
    text += `\n\nContext files (paths relative to the working directory; read them first):\n${contextFiles.map((f) => `- ${f}`).join('\n')}`;
  }
  return `${JSON.stringify({ type: 'user', message: { role: 'user', content: [{ type: 'text', text }] } })}\n`;
}

/** Runs the task to its end, timeout or stop; never throws. */
export async function runClaudeTask(req: ClaudeRunRequest): Promise<ExecutionOutcome> {
  if (req.signal.aborted) return stoppedBeforeStart(req.signal);
  let settingsFile: string | null = null;
  try {
    const configDir = claudeConfigDir(req.dataDir);
    ensurePrivateDir(configDir);
    const settings = sandboxSettings(req.config.sandbox);
    if (settings) {
      settingsFile = path.join(configDir, 'settings-sandbox.json');
      await writeFileAtomic(settingsFile, JSON.stringify(settings));
    }
  } catch (err) {
    const reason = `The agent could not prepare the Claude Code CLI's private settings: ${(err as Error).message}`;
    return { exit_code: -1, stdout: '', stderr: reason, duration_ms: 0, status: 'refused', reason };
  }

  const stderr = new CappedOutput(req.outputLimitBytes);
  const started = Date.now();
  const tree = spawnTree(req.executable, buildClaudeArgs(req.config, { workingDirectory: req.workingDirectory, settingsFile }), {
    cwd: req.workingDirectory,
    env: buildClaudeEnv(req.config, req.dataDir),
    stdin: 'pipe',
    ...(req.treeMarker ? { marker: req.treeMarker } : {}),
  });
  const stdin = tree.child.stdin;
  stdin?.on('error', () => undefined); // the CLI may exit before reading everything
  if (tree.pid !== undefined) req.onSpawn?.();

  let sawInit = false;
  let model: string | null = null;
  let result: ResultEvent | null = null;
  const lines = new LineSplitter();
  const onLine = (line: string): void => {
    const event = parseClaudeLine(line);
    if (!event) return;
    if (event.type === 'system' && event.subtype === 'init') {
      sawInit = true;
      model = event.model ?? null;
    }
    if (event.type === 'result') {
      result = event;
      stdin?.end(); // the task is over: the CLI may exit
    }
    for (const item of describeEvent(event)) safeProgress(req.onProgress, item.kind, item.data);
  };
  tree.child.stdout?.on('data', (d: Buffer) => lines.push(d, onLine));
  tree.child.stdout?.on('end', () => lines.end(onLine));
  tree.child.stderr?.on('data', (d: Buffer) => {
    stderr.write(d);
    safeProgress(req.onProgress, 'stderr', d.toString('utf8'));
  });
  stdin?.write(taskMessage(req.task, req.contextFiles));

  let timedOut = false;
  let stopped: StopRequest | null = null;
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (stdin && !stdin.destroyed && stdin.writable) {
        stdin.write(`${JSON.stringify({ type: 'control_request', request_id: randomUUID(), request: { subtype: 'interrupt' } })}\n`);
      }
      const grace = new Promise<'grace'>((r) => setTimeout(() => r('grace'), INTERRUPT_GRACE_MS).unref());
      if ((await Promise.race([tree.exited.then(() => 'exited' as const), grace])) === 'grace') await tree.killTree();
    })());
  const timer = setTimeout(() => {
    timedOut = true;
    void stop();
  }, req.timeoutMs);
  const onAbort = (): void => {
    stopped = stopRequestOf(req.signal);
    void stop();
  };
  req.signal.addEventListener('abort', onAbort, { once: true });

  const exit = await tree.exited;
  clearTimeout(timer);
  req.signal.removeEventListener('abort', onAbort);
  const durationMs = Date.now() - started;
  // Whatever happened, nothing the task started may outlive it.
  await tree.killTree();

  const facts: ClaudeRunFacts = {
    sawInit, model, result, exit, timedOut, timeoutMs: req.timeoutMs, stopped: timedOut ? null : stopped,
    stderr: stderr.toString(), durationMs,
  };
  return decideOutcome(facts, (text) => {
    const out = new CappedOutput(req.outputLimitBytes);
    out.write(text);
    return out.toString();
  });
}

function safeProgress(sink: ProgressSink, kind: Parameters<ProgressSink>[0], data: string): void {
  try {
    sink(kind, data);
  } catch {
    // a failing listener must not break the task
  }
}
