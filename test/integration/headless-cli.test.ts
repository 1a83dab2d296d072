import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { makeTempDir, startAgentProcess } from '../support/agent-process.js';

const tmp = makeTempDir('headless-cli-');
after(() => tmp.cleanup());

describe('headless host command line', () => {
  test('--help prints the flags and exits 0', async () => {
    const p = startAgentProcess({ dir: tmp.dir, config: {}, extraArgs: ['--help'] });
    assert.equal(await p.exited, 0);
    assert.match(p.output(), /--config FILE/);
    assert.match(p.output(), /--console-port N/);
  });

  test('an invalid config stops start-up with a message naming the bad field (exit 2)', async () => {
    const p = startAgentProcess({
      dir: tmp.dir,
      config: { serverUrl: 'ws://127.0.0.1:1/agent', apiKey: 'k', claude: { allowedTools: ['Read'] } },
    });
    assert.equal(await p.exited, 2);
    assert.match(p.output(), /claude\.allowedTools/);
    assert.match(p.output(), /did not start/);
  });

  test('an unknown flag is a usage error (exit 2)', async () => {
    const p = startAgentProcess({ dir: tmp.dir, config: {}, extraArgs: ['--bogus'] });
    assert.equal(await p.exited, 2);
    assert.match(p.output(), /bogus/);
  });
});
