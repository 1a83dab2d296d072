import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
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

  test('a data dir or config file inside claude.baseDirectory is refused (exit 2, naming both paths)', async () => {
    const base = path.join(tmp.dir, 'share');
    mkdirSync(path.join(base, 'logs'), { recursive: true });
    symlinkSync(base, path.join(tmp.dir, 'share-link'));
    const config = { serverUrl: 'ws://127.0.0.1:1/agent', apiKey: 'k', claude: { baseDirectory: base } };
    const cases = [
      { dir: tmp.dir, dataDir: path.join(base, 'logs', 'agent-data') },
      // The same place reached through a symlink, and a data dir that does not exist yet.
      { dir: tmp.dir, dataDir: path.join(tmp.dir, 'share-link', 'new', 'deeper') },
      // The config file itself inside the base.
      { dir: path.join(base, 'logs'), dataDir: path.join(tmp.dir, 'data-ok') },
    ];
    for (const c of cases) {
      const p = startAgentProcess({ dir: c.dir, config, dataDir: c.dataDir });
      assert.equal(await p.exited, 2, p.output());
      assert.match(p.output(), /lies inside claude\.baseDirectory/);
      assert.ok(p.output().includes(base), p.output());
      assert.match(p.output(), /did not start/);
      assert.equal(existsSync(c.dataDir), false, 'nothing was written in the base directory');
    }
  });
});
