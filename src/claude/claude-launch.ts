/**
 * Starting the Claude Code CLI for one task: the confinement the policy and the machine allow, the
 * working directory pinned by descriptor, the context files resolved again, and (after the start) the
 * CLI's real cwd verified before it is given anything to do.
 */
import { closeSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { ClaudeConfig } from '../contracts/config.js';
import { SANDBOX_HOME } from '../confine/bwrap-args.js';
import { confinedCommand, policyAllowsWrites, programPathsFor, type Confinement } from '../confine/cli-sandbox.js';
import { pinDirectory, verifyProcessCwd, type DirectoryIdentity } from '../confine/directory-pin.js';
import { spawnTree, type TreeProcess } from '../exec/process-tree.js';
import { fail, pass, type Check } from '../policy/check.js';
import { resolveContextFiles } from '../policy/path-guard.js';

/** How long a confined CLI may take to appear in its sandbox before the start counts as failed. */
const VERIFY_TIMEOUT_MS = 10_000;

/** What confines this task: a sandbox, or nothing (with why), or a refusal when the policy requires one. */
export type ConfinementChoice =
  | { kind: 'bubblewrap'; bwrap: string; note: string }
  | { kind: 'none'; note: string; warning: string | null }
  | { kind: 'refuse'; reason: string };

/** Applies `claude.sandbox` (off | auto | required) to what this machine can do. */
export function chooseConfinement(mode: ClaudeConfig['sandbox'], available: Confinement): ConfinementChoice {
  if (mode === 'off') return { kind: 'none', note: 'not confined (claude.sandbox is off)', warning: null };
  if (available.kind === 'bubblewrap') return { kind: 'bubblewrap', bwrap: available.bwrap, note: 'confined by bubblewrap' };
  if (mode === 'required') {
    return { kind: 'refuse', reason: `claude.sandbox is "required", but the AI task cannot be confined: ${available.reason}` };
  }
  const warning = `AI task not confined: ${available.reason}`;
  return { kind: 'none', note: warning, warning };
}

export interface LaunchRequest {
  executable: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  workingDirectory: string;
  workingDirectoryId: DirectoryIdentity;
  contextFiles: string[];
  configDir: string;
  config: ClaudeConfig;
  choice: Exclude<ConfinementChoice, { kind: 'refuse' }>;
  treeMarker?: string;
}

/**
 * Re-checks the context files and the working directory, then starts the CLI (stdin piped, nothing
 * written yet). Synchronous from the pin to the spawn, so nothing can change in between.
 */
export async function launchClaude(req: LaunchRequest): Promise<Check<TreeProcess>> {
  const files = await resolveContextFiles(req.workingDirectory, req.contextFiles);
  if (!files.ok) return fail(`${files.reason} (checked again right before the start)`);
  if (!isDeepStrictEqual(files.value, req.contextFiles)) {
    return fail('The context files changed between the check and the start of the AI task; the task was not started.');
  }
  const pinned = pinDirectory(req.workingDirectory, req.workingDirectoryId);
  if (!pinned.ok) return pinned;
  const fd = pinned.value;
  try {
    const marker = req.treeMarker ? { marker: req.treeMarker } : {};
    if (req.choice.kind === 'bubblewrap') {
      const cmd = confinedCommand(req.choice, {
        workingDirectory: req.workingDirectory,
        writable: policyAllowsWrites(req.config),
        programPaths: programPathsFor(req.executable),
        configDir: req.configDir,
        executable: req.executable,
        args: req.args,
      });
      const env = { ...req.env, HOME: SANDBOX_HOME, TMPDIR: '/tmp' };
      return pass(spawnTree(cmd.file, cmd.args, { cwd: '/', env, stdin: 'pipe', extraFds: [fd], ...marker }));
    }
    // Unconfined: the CLI starts in the checked path, and its real cwd is verified against the pinned
    // identity before it is given anything (verifyLaunched). The descriptor is not handed over: the CLI
    // would inherit it as fd 3, where its own shell tooling expects nothing (its Bash tool then hangs).
    return pass(spawnTree(req.executable, req.args, { cwd: req.workingDirectory, env: req.env, stdin: 'pipe', ...marker }));
  } finally {
    closeSync(fd);
  }
}

/** After the start: the CLI must really be running in the checked directory, or it is never given the task. */
export async function verifyLaunched(tree: TreeProcess, req: Pick<LaunchRequest, 'executable' | 'workingDirectoryId'>): Promise<Check<number>> {
  if (tree.pid === undefined) return fail('The Claude Code CLI could not be started.');
  let alive = true;
  void tree.exited.then(() => (alive = false));
  return verifyProcessCwd(tree.pid, req.executable, req.workingDirectoryId, { timeoutMs: VERIFY_TIMEOUT_MS, isAlive: () => alive });
}
