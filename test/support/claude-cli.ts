/** The real Claude Code CLI installed as a devDependency, for integration tests. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { claudeConfigSchema, type ClaudeConfig } from '../../src/contracts/config.js';

export const CLAUDE_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules/.bin/claude');

/** A claude config with the SPEC defaults plus `overrides`, pointed at a scripted model server. */
export function claudeConfig(modelUrl: string, overrides: Partial<ClaudeConfig> = {}): ClaudeConfig {
  return claudeConfigSchema.parse({
    executable: CLAUDE_CLI,
    sandbox: 'off',
    ...overrides,
    env: { ANTHROPIC_BASE_URL: modelUrl, ANTHROPIC_API_KEY: 'test-key', DISABLE_TELEMETRY: '1', ...(overrides.env ?? {}) },
  });
}
