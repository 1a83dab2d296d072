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

/** What the model is offered with no allow rule: enough to find, search and read files, nothing that runs or changes anything. */
export const BASE_TOOLS = ['Read', 'Glob', 'Grep'] as const;

/** The tool a permission rule is about: `Bash(git status:*)` -> `Bash`. */
export function toolOfRule(rule: string): string {
  return rule.trim().split('(')[0]!.trim();
}

/**
 * The tool set (`--tools`): the base three plus each tool a scoped rule names. Nothing else is offered, so
 * Bash, worktrees, cron, sub-agents, web and notebook tools exist for the model only when the policy names them.
 */
export function toolSet(rules: readonly string[]): string[] {
  const tools: string[] = [...BASE_TOOLS];
  for (const rule of rules) {
    const tool = toolOfRule(rule);
    if (/^[A-Za-z][\w-]*$/.test(tool) && !tools.includes(tool)) tools.push(tool);
  }
  return tools;
}

export function buildClaudeArgs(cfg: ClaudeConfig, opts: { workingDirectory: string; settingsFile: string | null }): string[] {
  const args = [
    '-p',
    '--input-format', 'stream-json',
    '--output-format', 'stream-json',
    '--verbose',
    // With ask rules the agent is the CLI's permission authority: every unsettled call comes to it on stdout.
    ...(cfg.askTools.length > 0 ? ['--permission-mode', 'default', '--permission-prompt-tool', 'stdio'] : ['--permission-mode', cfg.permissionMode]),
    '--max-turns', String(cfg.maxTurns),
    '--setting-sources', '',
    '--strict-mcp-config',
    '--no-session-persistence',
    '--tools', toolSet([...cfg.allowedTools, ...cfg.askTools]).join(','),
    '--append-system-prompt', policySentence(opts.workingDirectory),
  ];
  if (cfg.allowedTools.length > 0) args.push('--allowedTools', ...cfg.allowedTools);
  if (cfg.model) args.push('--model', cfg.model);
  if (cfg.maxBudgetUsd !== undefined) args.push('--max-budget-usd', String(cfg.maxBudgetUsd));
  if (opts.settingsFile) args.push('--settings', opts.settingsFile);
  return args;
}
