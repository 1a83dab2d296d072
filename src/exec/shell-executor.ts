/** Runs `shell`, `powershell` and `python` commands (SPEC §4.1) with a timeout, a byte cap and tree kill. */
import os from 'node:os';
import type { ShellKind } from '../contracts/wire.js';
import { findExecutable } from './find-executable.js';
import { CappedOutput } from './output-capture.js';
import { spawnTree } from './process-tree.js';
import { stoppedBeforeStart, stopRequestOf, type ExecutionOutcome, type ProgressSink } from './types.js';

export interface ShellRunRequest {
  kind: ShellKind;
  script: string;
  timeoutMs: number;
  outputLimitBytes: number;
  signal: AbortSignal;
  onProgress: ProgressSink;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Marks the process tree so it can be found again (e.g. after an agent restart). */
  treeMarker?: string;
}

export interface Interpreter {
  file: string;
  args(script: string): string[];
  windowsVerbatim?: boolean;
}

/** Finds the interpreter for a command kind, as an absolute path. */
export function resolveInterpreter(kind: ShellKind, platform: NodeJS.Platform = process.platform): Interpreter | { error: string } {
  if (kind === 'shell') {
    if (platform === 'win32') {
      const cmd = process.env.ComSpec ?? findExecutable('cmd.exe') ?? 'C:\\Windows\\System32\\cmd.exe';
      return { file: cmd, args: (s) => ['/d', '/s', '/c', `"${s}"`], windowsVerbatim: true };
    }
    return { file: '/bin/sh', args: (s) => ['-c', s] };
  }
  if (kind === 'powershell') {
    const file = findExecutable('pwsh') ?? (platform === 'win32' ? findExecutable('powershell.exe') : null);
    if (!file) return { error: 'PowerShell is not installed on this machine (looked for pwsh and powershell.exe on PATH).' };
    return { file, args: (s) => ['-NoProfile', '-NonInteractive', '-Command', s] };
  }
  const file = findExecutable('python3') ?? findExecutable('python');
  if (!file) return { error: 'Python is not installed on this machine (looked for python3 and python on PATH).' };
  return { file, args: (s) => ['-c', s] };
}

/** Runs one command to completion, timeout or stop; never throws. */
export async function runShellCommand(req: ShellRunRequest): Promise<ExecutionOutcome> {
  const interpreter = resolveInterpreter(req.kind);
  if ('error' in interpreter) {
    return { exit_code: -1, stdout: '', stderr: interpreter.error, duration_ms: 0, status: 'refused', reason: interpreter.error };
  }
  if (req.signal.aborted) return stoppedBeforeStart(req.signal);
  const stdout = new CappedOutput(req.outputLimitBytes);
  const stderr = new CappedOutput(req.outputLimitBytes);
  const started = Date.now();
  const tree = spawnTree(interpreter.file, interpreter.args(req.script), {
    env: req.env ?? process.env,
    ...(req.cwd ? { cwd: req.cwd } : {}),
    ...(req.treeMarker ? { marker: req.treeMarker } : {}),
    ...(interpreter.windowsVerbatim ? { windowsVerbatimArguments: true } : {}),
    containment: 'auto',
  });
  tree.child.stdout?.on('data', (d: Buffer) => {
    stdout.write(d);
    req.onProgress('stdout', d.toString('utf8'));
  });
  tree.child.stderr?.on('data', (d: Buffer) => {
    stderr.write(d);
    req.onProgress('stderr', d.toString('utf8'));
  });

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void tree.killTree();
  }, req.timeoutMs);
  const onAbort = (): void => void tree.killTree();
  req.signal.addEventListener('abort', onAbort, { once: true });

  const exit = await tree.exited;
  clearTimeout(timer);
  req.signal.removeEventListener('abort', onAbort);
  const duration = Date.now() - started;
  if (timedOut || req.signal.aborted) await tree.killTree();
  const base = { stdout: stdout.toString(), stderr: stderr.toString(), duration_ms: duration };

  if (exit.error) {
    const reason = `The command could not be started: ${exit.error.message}`;
    return { ...base, exit_code: -1, status: 'refused', reason };
  }
  if (timedOut) {
    const secs = Math.round(req.timeoutMs / 100) / 10;
    return { ...base, exit_code: 124, status: 'timed_out', reason: `Timed out after ${secs} s; the command and all its child processes were stopped.` };
  }
  if (req.signal.aborted) {
    const stop = stopRequestOf(req.signal);
    return { ...base, exit_code: -1, status: stop.status, reason: stop.reason };
  }
  if (exit.signal) {
    // Killed by a signal that was not ours: reported as the shell convention 128 + n.
    const n = signalNumber(exit.signal);
    return { ...base, exit_code: 128 + n, status: 'failed', reason: `The command was killed by ${exit.signal}.` };
  }
  const code = exit.code ?? 1;
  return code === 0
    ? { ...base, exit_code: 0, status: 'succeeded', reason: null }
    : { ...base, exit_code: code, status: 'failed', reason: `The command exited with code ${code}.` };
}

function signalNumber(sig: NodeJS.Signals): number {
  const n = (os.constants.signals as Record<string, number>)[sig];
  return typeof n === 'number' ? n : 1;
}
