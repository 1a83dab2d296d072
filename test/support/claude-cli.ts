/** The real Claude Code CLI installed as a devDependency, for integration tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { claudeConfigSchema, type ClaudeConfig } from '../../src/contracts/config.js';

export const CLAUDE_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules/.bin/claude');

/**
 * An empty HOME for the CLI in tests: unconfined, its Bash tool sources the user's shell start-up files
 * for a snapshot, and a machine's own (a slow or locked `pyenv init`, say) must not decide a test.
 */
const TEST_HOME = mkdtempSync(path.join(os.tmpdir(), 'claude-test-home-'));
process.on('exit', () => rmSync(TEST_HOME, { recursive: true, force: true }));

/** A claude config with the SPEC defaults plus `overrides`, pointed at a scripted model server. */
export function claudeConfig(modelUrl: string, overrides: Partial<ClaudeConfig> = {}): ClaudeConfig {
  return claudeConfigSchema.parse({
    executable: CLAUDE_CLI,
    sandbox: 'off',
    ...overrides,
    env: { HOME: TEST_HOME, ANTHROPIC_BASE_URL: modelUrl, ANTHROPIC_API_KEY: 'test-key', DISABLE_TELEMETRY: '1', ...(overrides.env ?? {}) },
  });
}
