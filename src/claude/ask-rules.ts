/**
 * Which tool calls the local user may be asked about (`claude.askTools`, in the CLI's own rule syntax),
 * and what exactly to show them. A call that matches no ask rule is denied without asking. The rule only
 * decides whether to ask: the user sees the whole command or the path and the change, and decides.
 */
import path from 'node:path';
import { toolOfRule } from './claude-args.js';

const FILE_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit', 'Read']);
const PREVIEW_CHARS = 4000;
/** What chains, substitutes or redirects commands in a shell line. */
const SHELL_OPERATOR = /[;&|`$<>()\n\r]/;

/** The part of a rule inside the parentheses: `Bash(git status:*)` -> `git status:*`. */
function contentOf(rule: string): string | null {
  const m = /^[^(]+\((.*)\)$/.exec(rule.trim());
  return m ? m[1]! : null;
}

/** A gitignore-like path pattern (`./**`, `./out/*.txt`, `//abs/**`) as a regular expression over absolute paths. */
function patternToRegExp(pattern: string, cwd: string): RegExp {
  const abs = pattern.startsWith('//') ? pattern.slice(1) : path.resolve(cwd, pattern);
  let re = '';
  for (let i = 0; i < abs.length; i++) {
    const c = abs[i]!;
    if (c === '*' && abs[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** True when the rule covers this call. */
export function ruleMatches(rule: string, tool: string, input: Record<string, unknown>, cwd: string): boolean {
  if (toolOfRule(rule) !== tool) return false;
  const content = contentOf(rule);
  if (content === null) return false;
  if (tool === 'Bash') {
    const command = typeof input.command === 'string' ? input.command.trim() : '';
    if (content.endsWith(':*')) {
      const prefix = content.slice(0, -2).trim();
      // As in the CLI, a prefix rule covers one simple command: `systemctl restart x; rm -rf /` is not asked about.
      if (SHELL_OPERATOR.test(command)) return false;
      return command === prefix || command.startsWith(`${prefix} `);
    }
    return command === content.trim();
  }
  if (FILE_TOOLS.has(tool)) {
    const file = typeof input.file_path === 'string' ? input.file_path : typeof input.notebook_path === 'string' ? input.notebook_path : null;
    if (!file) return false;
    return patternToRegExp(content, cwd).test(path.resolve(cwd, file));
  }
  return false;
}

/** What the window shows: a one-line summary and the exact action (whole command; path and the change). */
export function describeAsk(tool: string, input: Record<string, unknown>, cwd: string): { summary: string; detail: string } {
  const rel = (p: unknown): string => (typeof p === 'string' ? path.relative(cwd, path.resolve(cwd, p)) || '.' : '?');
  const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  const preview = (s: string): string => (s.length > PREVIEW_CHARS ? `${s.slice(0, PREVIEW_CHARS)}\n[… ${s.length - PREVIEW_CHARS} more characters of the change not shown]` : s);
  switch (tool) {
    case 'Bash': {
      const command = text(input.command);
      // The command is shown whole, however long: a cut could hide what it does.
      return { summary: `Bash: ${command.split('\n')[0]!.slice(0, 120)}`, detail: command };
    }
    case 'Write':
      return { summary: `Write ${rel(input.file_path)}`, detail: `Create or replace ${rel(input.file_path)} with:\n${preview(text(input.content))}` };
    case 'Edit':
      return {
        summary: `Edit ${rel(input.file_path)}`,
        detail: `In ${rel(input.file_path)}${input.replace_all === true ? ' (every occurrence)' : ''}:\n${diffLines(text(input.old_string), text(input.new_string), preview)}`,
      };
    case 'MultiEdit': {
      const edits = Array.isArray(input.edits) ? (input.edits as { old_string?: unknown; new_string?: unknown }[]) : [];
      return {
        summary: `Edit ${rel(input.file_path)} (${edits.length} changes)`,
        detail: `In ${rel(input.file_path)}:\n${edits.map((e) => diffLines(text(e.old_string), text(e.new_string), preview)).join('\n---\n')}`,
      };
    }
    default:
      return { summary: `${tool}`, detail: preview(JSON.stringify(input, null, 2)) };
  }
}

function diffLines(before: string, after: string, preview: (s: string) => string): string {
  const minus = before.split('\n').map((l) => `- ${l}`).join('\n');
  const plus = after.split('\n').map((l) => `+ ${l}`).join('\n');
  return preview(`${minus}\n${plus}`);
}
