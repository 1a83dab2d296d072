/** Check 2 of SPEC §4.2: the task text. */
import { fail, pass, type Check } from './check.js';

/** The historical contract's forbidden characters (kept even though no shell is involved). */
export const FORBIDDEN_TASK_CHARACTERS = ['&', '|', ';', '`', '$', '(', ')', '<', '>', '\n', '\r'] as const;

const SHOWN: Record<string, string> = { '\n': 'newline', '\r': 'carriage return' };

/** Trimmed non-empty, at most `maxLength` characters, no forbidden characters unless the admin allows them. */
export function validateTaskText(text: string, opts: { maxLength: number; allowShellMetacharacters: boolean }): Check<string> {
  const task = text.trim();
  if (!task) return fail('The task text is empty. Describe what the AI task should do.');
  if (task.length > opts.maxLength) {
    return fail(`The task text is ${task.length} characters long; at most ${opts.maxLength} are allowed. Shorten it.`);
  }
  if (!opts.allowShellMetacharacters) {
    const found = FORBIDDEN_TASK_CHARACTERS.filter((c) => task.includes(c));
    if (found.length) {
      const list = found.map((c) => SHOWN[c] ?? `"${c}"`).join(', ');
      return fail(
        `The task text contains forbidden characters (${list}). Remove them, or ask the admin to set claude.allowShellMetacharacters.`,
      );
    }
  }
  return pass(task);
}
