/**
 * Decides how an AI task's CLI process is confined on this machine (SPEC §4.2 "Confinement") and builds
 * the command that runs it: on Linux inside bubblewrap, elsewhere (or when bubblewrap cannot work)
 * unconfined, which `claude.sandbox: required` refuses and `auto` allows with a warning.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, lstatSync, mkdtempSync, openSync, readlinkSync, readSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClaudeConfig } from '../contracts/config.js';
import { findExecutable } from '../exec/find-executable.js';
import { buildBwrapArgs, SYSTEM_PATHS, TOP_LEVEL_LINKS, WORKDIR_FD, type BwrapPlan } from './bwrap-args.js';

export type Confinement =
  | { kind: 'bubblewrap'; bwrap: string }
  | { kind: 'none'; reason: string };

const PROBE_TIMEOUT_MS = 10_000;
let probed: Promise<Confinement> | null = null;

/** Whether bubblewrap can confine a process here; probed once (a real sandbox is started) and cached. */
export function probeConfinement(platform: NodeJS.Platform = process.platform): Promise<Confinement> {
  if (platform !== 'linux') {
    return Promise.resolve({
      kind: 'none',
      reason: platform === 'win32'
        ? 'Windows has no process confinement for AI tasks here; the tool set is the guard.'
        : `Process confinement for AI tasks is not available on ${platform} in this version; the tool set is the guard.`,
    });
  }
  return (probed ??= probeBubblewrap());
}

async function probeBubblewrap(): Promise<Confinement> {
  const bwrap = findExecutable('bwrap');
  if (!bwrap) return { kind: 'none', reason: 'bubblewrap (bwrap) is not installed, so AI tasks cannot be confined.' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gururmm-probe-'));
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const truePath = findExecutable('true') ?? '/bin/true';
    const plan = planFor({ workingDirectory: dir, writable: false, programPaths: [], configDir: dir });
    const error = await new Promise<string | null>((resolve) => {
      const child = spawn(bwrap, [...buildBwrapArgs(plan), truePath], { stdio: ['ignore', 'ignore', 'pipe', fd] });
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', (err) => resolve(err.message));
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve(code === 0 ? null : stderr.trim() || `exit ${code ?? signal}`);
      });
    });
    if (error) return { kind: 'none', reason: `bubblewrap is installed but cannot create a sandbox here: ${error.split('\n')[0]}` };
    return { kind: 'bubblewrap', bwrap };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the caller knows about one task; the rest of the plan is read off this machine. */
export interface SandboxRequest {
  workingDirectory: string;
  writable: boolean;
  programPaths: string[];
  configDir: string;
}

/** Reads the machine's layout (merged /usr or not, which system files exist) into a bwrap plan. */
export function planFor(req: SandboxRequest): BwrapPlan {
  const topLevel = new Map<string, string | null>();
  for (const name of TOP_LEVEL_LINKS) {
    try {
      const st = lstatSync(name);
      if (st.isSymbolicLink()) topLevel.set(name, readlinkSync(name));
      else if (st.isDirectory()) topLevel.set(name, null);
    } catch {
      // absent on this machine
    }
  }
  return {
    workingDirectory: req.workingDirectory,
    writable: req.writable,
    programPaths: req.programPaths,
    configDir: req.configDir,
    topLevel,
    systemPaths: SYSTEM_PATHS.filter((p) => existsSync(p)),
    dropCapabilities: process.getuid?.() === 0,
  };
}

/**
 * The directories the CLI needs to run: its package (found from the executable's real path) and, for a
 * script, its interpreter's. Paths under /usr are already visible and left out.
 */
export function programPathsFor(executable: string): string[] {
  const out = new Set<string>();
  const real = realpathSync(executable);
  out.add(packageRootOf(real));
  const interpreter = shebangInterpreter(real);
  if (interpreter) out.add(packageRootOf(realpathSync(interpreter)));
  return [...out].filter((p) => p !== '/' && !p.startsWith('/usr/'));
}

/** The nearest ancestor (up to 3 levels) holding a package.json, else the file's own directory. */
function packageRootOf(file: string): string {
  let dir = path.dirname(file);
  for (let i = 0; i < 3; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.dirname(file);
}

function shebangInterpreter(file: string): string | null {
  let head: string;
  try {
    // Only the first line matters; the CLI itself may be a binary of hundreds of MB.
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(256);
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('latin1');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  if (!head.startsWith('#!')) return null;
  const parts = head.slice(2).split('\n')[0]!.trim().split(/\s+/);
  const program = parts[0] === '/usr/bin/env' || parts[0] === '/bin/env' ? parts.find((p, i) => i > 0 && !p.startsWith('-')) : parts[0];
  if (!program) return null;
  return path.isAbsolute(program) ? program : findExecutable(program);
}

/** True when the policy lets the task change files, so the working directory is mounted writable. */
export function policyAllowsWrites(cfg: Pick<ClaudeConfig, 'allowedTools'> & { askTools?: string[] }): boolean {
  const rules = [...cfg.allowedTools, ...(cfg.askTools ?? [])];
  return rules.some((r) => /^(Edit|Write|MultiEdit|NotebookEdit)\(/.test(r.trim()));
}

/** The file, argv and extra descriptors that start the CLI inside the sandbox. */
export function confinedCommand(
  confinement: { bwrap: string },
  req: SandboxRequest & { executable: string; args: string[] },
): { file: string; args: string[]; workdirFd: number } {
  if (WORKDIR_FD !== 3) throw new Error('the working directory descriptor must be the first extra stdio slot');
  return {
    file: confinement.bwrap,
    args: [...buildBwrapArgs(planFor(req)), realpathSync(req.executable), ...req.args],
    workdirFd: WORKDIR_FD,
  };
}
