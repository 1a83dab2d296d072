/** The offline model the demo uses when ANTHROPIC_API_KEY is not set: reads the context files, then summarises. */
import path from 'node:path';
import type { Script } from '../../test/support/fake-anthropic.js';

/**
 * Reads each listed context file with the CLI's Read tool, then reports the ERROR lines it saw. Asked to
 * mark them as reviewed, it first wants to edit the first file (so the window's per-action ask can be tried).
 */
export const demoModelScript: Script = (req) => {
  const workDir = /working directory (.+?); do not/.exec(req.system)?.[1] ?? '.';
  const messages = Array.isArray(req.body.messages) ? (req.body.messages as unknown[]) : [];
  const files = contextFilesOf(messages[0]);
  const readSoFar = messages.length > 1 ? Math.floor((messages.length - 1) / 2) : 0;
  const next = files[readSoFar];
  if (next) return { toolUse: { name: 'Read', input: { file_path: path.join(workDir, next) } } };
  const transcript = messages.map((m) => JSON.stringify(m)).join('\n');
  const errors = [...transcript.matchAll(/ERROR[^\\"]*/g)].map((m) => m[0]);
  const wantsEdit = /reviewed/i.test(JSON.stringify(messages[0] ?? '')) && files[0] && errors[0];
  if (wantsEdit && readSoFar === files.length) {
    return { toolUse: { name: 'Edit', input: { file_path: path.join(workDir, files[0]!), old_string: errors[0]!, new_string: `REVIEWED ${errors[0]!}` } } };
  }
  return {
    text: errors.length
      ? `Found ${errors.length} error line(s):\n${[...new Set(errors)].map((e) => `- ${e}`).join('\n')}`
      : files.length
        ? 'No errors found in the context files.'
        : 'This is the offline demo model: give context files (--context FILE) and it reads them and reports ERROR lines.',
  };
};

/** The context files the agent listed in the task message (a JSON list after "read them first):"). */
function contextFilesOf(message: unknown): string[] {
  const texts: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === 'string') texts.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  collect(message);
  for (const text of texts) {
    const m = /read them first\): (\[.*\])\s*$/m.exec(text);
    if (!m) continue;
    try {
      const list: unknown = JSON.parse(m[1]!);
      if (Array.isArray(list)) return list.filter((f): f is string => typeof f === 'string');
    } catch {
      // not a list the agent wrote
    }
  }
  return [];
}
