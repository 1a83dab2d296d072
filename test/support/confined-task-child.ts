/**
 * A child process for the confinement tests, meant to run as an unprivileged user: runs one AI task with
 * the real CLI, `claude.sandbox: required` and a Bash rule that allows anything (`Bash(sh:*)`), whose
 * commands try to read outside the working directory and leave a process behind. Prints one JSON line.
 */
import { probeConfinement } from '../../src/confine/cli-sandbox.js';
import { allRequestText, API_KEY, runWith, SECRET, workspace } from './claude-run.js';
import { pidsWithArgv } from './proc-find.js';
import { scripted } from './fake-anthropic.js';

const [root, sleepSeconds] = process.argv.slice(2);
const ws = workspace(root!);
const commands = [
  'sh -c "cat ../../secret.txt; cat ' + ws.agentConfig + '; ls -la ../../.. /etc; id"',
  `sh -c "env -i setsid sleep ${sleepSeconds} > /dev/null 2>&1 &"`,
  'sh -c "sleep 1"',
];
const r = await runWith(root!, scripted(...commands.map((command) => ({ toolUse: { name: 'Bash', input: { command, description: 'x' } } }))), {
  ws,
  config: { sandbox: 'required', allowedTools: ['Bash(sh:*)'] },
});
const text = [allRequestText(r.model), r.outcome.stdout, r.outcome.stderr, JSON.stringify(r.progress)].join('\n');
await new Promise((res) => setTimeout(res, 300));
console.log(JSON.stringify({
  uid: process.getuid?.(),
  confinement: await probeConfinement(),
  outcome: r.outcome,
  leaked: text.includes(SECRET) || text.includes(API_KEY),
  firstResult: r.model.requests[1]?.lastUserText ?? '',
  survivors: pidsWithArgv(['sleep', sleepSeconds!]),
}));
