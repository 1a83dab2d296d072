/**
 * A child process for shell-escape.test.ts (may run as another user):
 *   abort N | timeout N  runs the escape command through runShellCommand, stops it, prints JSON;
 *   hang N MARKER        starts it with spawnTree under MARKER, prints "ready", then waits to be killed.
 */
import { describeContainment } from '../../src/confine/containment.js';
import { spawnTree } from '../../src/exec/process-tree.js';
import { runShellCommand } from '../../src/exec/shell-executor.js';
import { escapeScript, pidsWithArgv } from './proc-find.js';
import { waitFor } from './wait.js';

const [mode, secondsArg, marker] = process.argv.slice(2);
const seconds = Number(secondsArg);
const escapee = (): boolean => pidsWithArgv(['sleep', String(seconds)]).length > 0;

if (mode === 'hang') {
  spawnTree('/bin/sh', ['-c', escapeScript(seconds)], { env: process.env, marker: marker!, containment: 'auto' });
  await waitFor(escapee, 10_000, 'the escapee did not start');
  console.log(`ready ${JSON.stringify(describeContainment())}`);
  setInterval(() => undefined, 60_000);
} else {
  const controller = new AbortController();
  const running = runShellCommand({
    kind: 'shell',
    script: escapeScript(seconds),
    timeoutMs: mode === 'timeout' ? 2500 : 60_000,
    outputLimitBytes: 4096,
    signal: controller.signal,
    onProgress: () => undefined,
  });
  await waitFor(escapee, 10_000, 'the escapee did not start');
  if (mode === 'abort') controller.abort();
  const result = await running;
  console.log(JSON.stringify({ containment: describeContainment(), result }));
}
