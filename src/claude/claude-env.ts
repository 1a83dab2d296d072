/** The CLI's environment: an allow-list, never the agent's whole environment (and never its RMM key). */
import path from 'node:path';
import type { ClaudeConfig } from '../contracts/config.js';

const PASSED = ['PATH', 'Path', 'HOME', 'USERPROFILE', 'SystemRoot', 'SYSTEMROOT', 'windir', 'TEMP', 'TMP', 'TMPDIR', 'LANG', 'LANGUAGE', 'TZ', 'ComSpec', 'PATHEXT'];

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
  return env;
}
