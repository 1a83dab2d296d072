/** The Claude Code CLI's argv, exactly as SPEC §4.2 gives it. Each element is one argument: no shell ever. */
import type { ClaudeConfig } from '../contracts/config.js';

/** The sentence appended to the system prompt: where the task may work and what it must not do. */
export function policySentence(workingDirectory: string): string {
  return (
    `You are running as an AI task dispatched by an RMM technician on a managed workstation. ` +
    `Work only inside the working directory ${workingDirectory}; do not read, change or run anything outside it, ` +
    `and do not try to work around a denied permission. Finish with a short summary of what you found.`
  );
}

export function buildClaudeArgs(cfg: ClaudeConfig, opts: { workingDirectory: string; settingsFile: string | null }): string[] {
  const args = [
    '-p',
    '--input-format', 'stream-json',
    '--output-format', 'stream-json',
    '--verbose',
    '--permission-mode', cfg.permissionMode,
    '--max-turns', String(cfg.maxTurns),
    '--setting-sources', '',
    '--strict-mcp-config',
    '--no-session-persistence',
    '--append-system-prompt', policySentence(opts.workingDirectory),
  ];
  if (cfg.allowedTools.length > 0) args.push('--allowedTools', ...cfg.allowedTools);
  if (cfg.model) args.push('--model', cfg.model);
  if (cfg.maxBudgetUsd !== undefined) args.push('--max-budget-usd', String(cfg.maxBudgetUsd));
  if (opts.settingsFile) args.push('--settings', opts.settingsFile);
  return args;
}
