/** The CLI's environment: an allow-list, never the agent's whole environment (and never its RMM key). */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ClaudeConfig } from '../contracts/config.js';

const PASSED = ['PATH', 'Path', 'HOME', 'USERPROFILE', 'SystemRoot', 'SYSTEMROOT', 'windir', 'TEMP', 'TMP', 'TMPDIR', 'LANG', 'LANGUAGE', 'TZ', 'ComSpec', 'PATHEXT'];

/**
 * The CLI runs git in the working directory, and a `.git` planted in a shared folder can carry
 * `core.fsmonitor` or hooks: git instructions off, no system config, and both settings forced empty.
 * Set last, so neither the parent environment nor `claude.env` can override them.
 */
export const GIT_LOCKDOWN: Readonly<Record<string, string>> = {
  CLAUDE_CODE_DISABLE_GIT_INSTRUCTIONS: '1',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_COUNT: '2',
  GIT_CONFIG_KEY_0: 'core.fsmonitor',
  GIT_CONFIG_VALUE_0: '',
  GIT_CONFIG_KEY_1: 'core.hooksPath',
  GIT_CONFIG_VALUE_1: '/dev/null',
};

/** Where the CLI's private config dirs live (concurrent CLIs corrupt a shared `.claude.json`). */
export function claudeConfigDir(dataDir: string): string {
  return path.join(dataDir, 'claude');
}

/**
 * A fresh, empty config dir for one task, removed when it ends. Never shared between tasks: the CLI
 * sources shell snapshots and loads memory from its config dir, so a shared one would let one task run
 * code in, or steer, another. Login credentials the admin left in the shared dir are copied in.
 */
export function makeTaskConfigDir(dataDir: string): string {
  const root = claudeConfigDir(dataDir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(path.join(root, TASK_DIR_PREFIX));
  const credentials = path.join(root, '.credentials.json');
  if (existsSync(credentials)) copyFileSync(credentials, path.join(dir, '.credentials.json'));
  return dir;
}

/** Task config dirs a previous run left behind (a crash); only called when no task runs. */
export function removeStaleTaskConfigDirs(dataDir: string): void {
  const root = claudeConfigDir(dataDir);
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) if (name.startsWith(TASK_DIR_PREFIX)) rmSync(path.join(root, name), { recursive: true, force: true });
}

const TASK_DIR_PREFIX = 'task-';

/** The CLI's environment for a task whose private config dir is `configDir`. */
export function buildClaudeEnv(cfg: Pick<ClaudeConfig, 'env'>, configDir: string, parentEnv: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(parentEnv)) {
    if (v === undefined) continue;
    if (PASSED.includes(k) || k.startsWith('LC_') || k.startsWith('ANTHROPIC_')) env[k] = v;
  }
  Object.assign(env, cfg.env);
  env.CLAUDE_CONFIG_DIR = configDir;
  // Memory the model writes must never steer a later task.
  env.CLAUDE_CODE_DISABLE_AUTO_MEMORY = '1';
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  env.DISABLE_AUTOUPDATER = '1';
  env.CLAUDE_CODE_MAX_RETRIES = '3';
  Object.assign(env, GIT_LOCKDOWN);
  return env;
}
