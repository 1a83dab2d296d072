/**
 * Runs one AI task with the real Claude Code CLI (SPEC §4.2): absolute executable, no shell, the task as
 * one stream-json message on stdin, progress parsed from stdout, and a graceful interrupt before the
 * whole process tree is killed. Nothing the task started outlives it.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ClaudeConfig } from '../contracts/config.js';
import { findExecutable } from '../exec/find-executable.js';
import { CappedOutput } from '../exec/output-capture.js';
import type { Confinement } from '../confine/cli-sandbox.js';
import type { DirectoryIdentity } from '../confine/directory-pin.js';
import type { TreeProcess } from '../exec/process-tree.js';
import { stoppedBeforeStart, stopRequestOf, type ExecutionOutcome, type ProgressSink, type StopRequest } from '../exec/types.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { buildClaudeArgs } from './claude-args.js';
import { chooseConfinement, launchClaude, verifyLaunched, type ConfinementChoice } from './claude-launch.js';
import { parsePermissionRequest, permissionResponse, type PermissionAnswer, type PermissionRequest } from './permission-request.js';
import { buildClaudeEnv, makeTaskConfigDir } from './claude-env.js';
import { decideOutcome, type ClaudeRunFacts } from './claude-outcome.js';
import { describeEvent, LineSplitter, parseClaudeLine, type ResultEvent } from './claude-stream.js';

export interface ClaudeRunRequest {
  commandId: string;
  task: string;
  /** Canonical and already validated. */
  workingDirectory: string;
  /** Device + inode of the working directory when it was checked; the CLI starts only in that directory. */
  workingDirectoryId: DirectoryIdentity;
  /** What this machine can confine the CLI with (probed once by the agent). */
  confinement: Confinement;
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
  /**
   * Decides a tool call the CLI's rules did not settle (only asked when `claude.askTools` is set). Never
   * called for anything else; a missing or failing decider denies.
   */
  onPermission?: (req: PermissionRequest) => Promise<PermissionAnswer>;
  /** Called once the CLI has started and is verified in its working directory (the moment a rate-limit slot is taken). */
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
 * Inside the agent's own confinement the CLI's sandbox cannot nest (it needs namespaces the outer one
 * withholds) and would only break Bash, so it is left off there: the outer sandbox confines all of it.
 * It is never a requirement: `claude.sandbox: required` is about the agent's own confinement.
 */
export function sandboxSettings(
  mode: ClaudeConfig['sandbox'],
  platform: NodeJS.Platform = process.platform,
  opts: { outerSandbox: boolean } = { outerSandbox: false },
): object | null {
  if (mode === 'off' || opts.outerSandbox || (platform !== 'linux' && platform !== 'darwin')) return null;
  return {
    sandbox: {
      enabled: true,
      failIfUnavailable: false,
      autoAllowBashIfSandboxed: false,
      allowUnsandboxedCommands: false,
    },
  };
}

/** The one stream-json user message that carries the task; file names go in as quoted JSON strings, never as raw lines. */
export function taskMessage(task: string, contextFiles: string[]): string {
  let text = task;
  if (contextFiles.length > 0) {
    text += `\n\nContext files (a JSON list of paths relative to the working directory; read them first): ${JSON.stringify(contextFiles)}`;
  }
  return `${JSON.stringify({ type: 'user', message: { role: 'user', content: [{ type: 'text', text }] } })}\n`;
}

/** Runs the task to its end, timeout or stop; never throws. */
export async function runClaudeTask(req: ClaudeRunRequest): Promise<ExecutionOutcome> {
  if (req.signal.aborted) return stoppedBeforeStart(req.signal);
  const choice = chooseConfinement(req.config.sandbox, req.confinement);
  if (choice.kind === 'refuse') return refused(choice.reason);
  let configDir: string;
  try {
    configDir = makeTaskConfigDir(req.dataDir);
  } catch (err) {
    return refused(`The agent could not prepare the Claude Code CLI's private settings: ${(err as Error).message}`);
  }
  try {
    return await runInConfigDir(req, choice, configDir);
  } finally {
    await rm(configDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function runInConfigDir(req: ClaudeRunRequest, choice: Exclude<ConfinementChoice, { kind: 'refuse' }>, configDir: string): Promise<ExecutionOutcome> {
  let settingsFile: string | null = null;
  try {
    const settings = sandboxSettings(req.config.sandbox, process.platform, { outerSandbox: choice.kind === 'bubblewrap' });
    if (settings) {
      settingsFile = path.join(configDir, 'settings-sandbox.json');
      await writeFileAtomic(settingsFile, JSON.stringify(settings));
    }
  } catch (err) {
    return refused(`The agent could not prepare the Claude Code CLI's private settings: ${(err as Error).message}`);
  }
  const confinement = { confinement: choice.note };
  const launch = {
    executable: req.executable,
    args: buildClaudeArgs(req.config, { workingDirectory: req.workingDirectory, settingsFile }),
    env: buildClaudeEnv(req.config, configDir),
    workingDirectory: req.workingDirectory,
    workingDirectoryId: req.workingDirectoryId,
    contextFiles: req.contextFiles,
    configDir,
    config: req.config,
    choice,
    ...(req.treeMarker ? { treeMarker: req.treeMarker } : {}),
  };
  // A stop that arrived while the settings were written is honoured here, before anything starts.
  if (req.signal.aborted) return stoppedBeforeStart(req.signal);
  const launched = await launchClaude(launch);
  if (!launched.ok) return refused(launched.reason);
  const tree = launched.value;
  const started = Date.now();
  const run = watchRun(tree, req);
  const verified = await verifyLaunched(tree, launch);
  if (!verified.ok) {
    await tree.killTree();
    await tree.exited;
    return { ...refused(verified.reason), duration_ms: Date.now() - started };
  }
  if (tree.pid !== undefined) req.onSpawn?.();
  tree.child.stdin?.write(taskMessage(req.task, req.contextFiles));
  const outcome = await run.finished(started);
  return outcome.claude ? { ...outcome, claude: { ...outcome.claude, ...confinement } } : outcome;
}

function refused(reason: string): ExecutionOutcome {
  return { exit_code: -1, stdout: '', stderr: reason, duration_ms: 0, status: 'refused', reason };
}

/**
 * Follows a started CLI: progress from stdout, the interrupt-then-kill stop on timeout or abort (an
 * abort that came before this was called is honoured at once), and the outcome once it has exited.
 */
function watchRun(tree: TreeProcess, req: ClaudeRunRequest): { finished(started: number): Promise<ExecutionOutcome> } {
  const stdin = tree.child.stdin;
  stdin?.on('error', () => undefined); // the CLI may exit before reading everything
  const stderr = new CappedOutput(req.outputLimitBytes);
  let sawInit = false;
  let model: string | null = null;
  let result: ResultEvent | null = null;
  const lines = new LineSplitter();
  const onLine = (line: string): void => {
    const ask = parsePermissionRequest(line);
    if (ask) {
      void decidePermission(req, ask).then((answer) => {
        if (stdin && !stdin.destroyed && stdin.writable) stdin.write(permissionResponse(ask, answer));
      });
      return;
    }
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
  if (req.signal.aborted) onAbort();

  return {
    async finished(started: number): Promise<ExecutionOutcome> {
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
    },
  };
}

async function decidePermission(req: ClaudeRunRequest, ask: PermissionRequest): Promise<PermissionAnswer> {
  if (!req.onPermission) return { behavior: 'deny', message: 'Denied: this action is not allowed by the agent\'s policy.' };
  try {
    return await req.onPermission(ask);
  } catch (err) {
    return { behavior: 'deny', message: `Denied: the agent could not decide (${(err as Error).message}).` };
  }
}

function safeProgress(sink: ProgressSink, kind: Parameters<ProgressSink>[0], data: string): void {
  try {
    sink(kind, data);
  } catch {
    // a failing listener must not break the task
  }
}
