import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { makeTempDir, startAgentProcess, stopAgentProcess } from '../support/agent-process.js';

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

describe('headless console', () => {
  test('--console-port 0: one console line, console.url 0600, loopback only, token required; removed on stop', async () => {
    const p = startAgentProcess({ dir: tmp.dir, config: { serverUrl: 'ws://127.0.0.1:1/agent', apiKey: 'k' }, dataDir: path.join(tmp.dir, 'console-data'), extraArgs: ['--console-port', '0'] });
    try {
      const line = await p.waitForOutput(/console: http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/, 30_000);
      const url = new URL(line.slice('console: '.length));
      const file = path.join(p.dataDir, 'console.url');
      assert.equal(readFileSync(file, 'utf8').trim(), url.href);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      // Listening on 127.0.0.1 only: the kernel's socket table shows the loopback address for this port.
      const hexPort = Number(url.port).toString(16).toUpperCase().padStart(4, '0');
      const listening = readFileSync('/proc/net/tcp', 'utf8').split('\n').filter((l) => l.includes(`:${hexPort} `) && / 0A /.test(l));
      assert.ok(listening.length > 0 && listening.every((l) => l.trim().split(/\s+/)[1] === `0100007F:${hexPort}`), listening.join('\n'));
      const page = await fetch(url);
      assert.equal(page.status, 200);
      // No cookie: cookies are not kept apart by port, so any other service on 127.0.0.1 would receive the token.
      assert.equal(page.headers.get('set-cookie'), null);
      assert.match(await page.text(), /src="app\.js\?token=/);
      assert.equal((await fetch(`${url.origin}/`)).status, 401);
    } finally {
      assert.equal(await stopAgentProcess(p), 0);
    }
    assert.equal(existsSync(path.join(p.dataDir, 'console.url')), false, 'console.url outlived the agent');
  });
});
