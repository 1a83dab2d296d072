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

/** Characters never allowed in a context file name: they could start a new line or hide text in the prompt. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * A context file name obeys the task text's character rules (SPEC §4.2), and never holds control or
 * bidirectional-override characters, whatever the policy: a name must not smuggle text into the prompt.
 */
export function validateContextFileName(name: string, opts: { allowShellMetacharacters: boolean }): Check<string> {
  const shown = JSON.stringify(name);
  if (CONTROL_CHARACTERS.test(name)) {
    return fail(`The context file name ${shown} contains control characters (such as a newline). Rename the file or leave it out.`);
  }
  if (!opts.allowShellMetacharacters) {
    const found = FORBIDDEN_TASK_CHARACTERS.filter((c) => name.includes(c));
    if (found.length) {
      return fail(`The context file name ${shown} contains forbidden characters (${found.map((c) => `"${c}"`).join(', ')}). Rename the file or leave it out.`);
    }
  }
  return pass(name);
}
