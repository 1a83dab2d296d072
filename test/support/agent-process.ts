/** Runs the real headless agent as a child process for integration tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'src/headless/main.ts');

export interface AgentProcess {
  child: ChildProcess;
  dataDir: string;
  configPath: string;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
}

export function makeTempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `config` to a file in `dir` and starts the agent with it. */
export function startAgentProcess(opts: {
  dir: string;
  config: Record<string, unknown>;
  dataDir?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Run as another user (when the tests run as root). */
  uid?: number;
  gid?: number;
}): AgentProcess {
  const configPath = path.join(opts.dir, 'agent.json');
  writeFileSync(configPath, JSON.stringify(opts.config, null, 2));
  const dataDir = opts.dataDir ?? path.join(opts.dir, 'data');
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--config', configPath, '--data-dir', dataDir, ...(opts.extraArgs ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    dataDir,
    configPath,
    output: () => out,
    exited,
    waitForOutput(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = out.match(pattern);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(m[0]);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`agent output did not match ${pattern} within ${timeoutMs} ms; output:\n${out.slice(-3000)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Stops the agent (SIGTERM, then SIGKILL after a grace period) and returns its exit code. */
export async function stopAgentProcess(p: AgentProcess, graceMs = 20_000): Promise<number | string> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}
