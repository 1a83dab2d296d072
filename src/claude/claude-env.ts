/** The CLI's environment: an allow-list, never the agent's whole environment (and never its RMM key). */
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

/** The directory the CLI uses as its private config dir (concurrent CLIs corrupt a shared `.claude.json`). */
export function claudeConfigDir(dataDir: string): string {
  return path.join(dataDir, 'claude');
}

export function buildClaudeEnv(cfg: Pick<ClaudeConfig, 'env'>, dataDir: string, parentEnv: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(parentEnv)) {
    if (v === undefined) continue;
    if (PASSED.includes(k) || k.startsWith('LC_') || k.startsWith('ANTHROPIC_')) env[k] = v;
  }
  Object.assign(env, cfg.env);
  env.CLAUDE_CONFIG_DIR = claudeConfigDir(dataDir);
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  env.DISABLE_AUTOUPDATER = '1';
  env.CLAUDE_CODE_MAX_RETRIES = '3';
  Object.assign(env, GIT_LOCKDOWN);
  return env;
}
