/** The offline model the demo uses when ANTHROPIC_API_KEY is not set: reads the context files, then summarises. */
import path from 'node:path';
import type { Script } from '../../test/support/fake-anthropic.js';

/** Reads each listed context file with the CLI's Read tool, then reports the ERROR lines it saw. */
export const demoModelScript: Script = (req) => {
  const workDir = /working directory (.+?); do not/.exec(req.system)?.[1] ?? '.';
  const messages = Array.isArray(req.body.messages) ? (req.body.messages as unknown[]) : [];
  const first = JSON.stringify(messages[0] ?? '');
  const files = [...first.matchAll(/\\n- ([^\\"]+)/g)].map((m) => m[1]!);
  const readSoFar = messages.length > 1 ? Math.floor((messages.length - 1) / 2) : 0;
  const next = files[readSoFar];
  if (next) return { toolUse: { name: 'Read', input: { file_path: path.join(workDir, next) } } };
  const transcript = messages.map((m) => JSON.stringify(m)).join('\n');
  const errors = [...transcript.matchAll(/ERROR[^\\"]*/g)].map((m) => m[0]);
  return {
    text: errors.length
      ? `Found ${errors.length} error line(s):\n${[...new Set(errors)].map((e) => `- ${e}`).join('\n')}`
      : files.length
        ? 'No errors found in the context files.'
        : 'This is the offline demo model: give context files (--context FILE) and it reads them and reports ERROR lines.',
  };
};
