import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, isLoopbackHost, loadConfigFile, parseConfig } from '../../src/contracts/config.js';

const base = { serverUrl: 'wss://rmm.example.com/agent', apiKey: 'k' };

function configError(raw: unknown): string {
  try {
    parseConfig(raw, 'agent.json');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('config schema', () => {
  test('only serverUrl and apiKey are required; the SPEC defaults apply', () => {
    const { config } = parseConfig(base);
    assert.equal(config.approvalRequired, false);
    assert.equal(config.approvalTimeoutSeconds, 120);
    assert.equal(config.outputLimitBytes, 1024 * 1024);
    assert.equal(config.claude.maxTasksPerHour, 10);
    assert.equal(config.claude.maxConcurrent, 2);
    assert.equal(config.claude.maxTaskLength, 10_000);
    assert.equal(config.claude.permissionMode, 'dontAsk');
    assert.equal(config.claude.maxTurns, 30);
    assert.equal(config.claude.sandbox, 'auto');
    assert.deepEqual(config.claude.allowedTools, []);
    assert.equal(config.claude.allowShellMetacharacters, false);
  });

  test('missing apiKey names the field', () => {
    assert.match(configError({ serverUrl: base.serverUrl }), /apiKey/);
  });

  test('bare tool rules are rejected naming claude.allowedTools', () => {
    for (const bare of ['Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'Bash', 'WebFetch', 'WebSearch', 'Task']) {
      const msg = configError({ ...base, claude: { allowedTools: ['Edit(./**)', bare] } });
      assert.match(msg, /claude\.allowedTools/, bare);
    }
  });

  test('scoped rules are accepted', () => {
    const { config } = parseConfig({ ...base, claude: { allowedTools: ['Read(./**)', 'Edit(./**)', 'Bash(git status:*)'] } });
    assert.deepEqual(config.claude.allowedTools, ['Read(./**)', 'Edit(./**)', 'Bash(git status:*)']);
  });

  test('permissionMode bypassPermissions (or anything unknown) is rejected', () => {
    assert.match(configError({ ...base, claude: { permissionMode: 'bypassPermissions' } }), /claude\.permissionMode/);
    assert.match(configError({ ...base, claude: { permissionMode: 'default' } }), /claude\.permissionMode/);
  });

  test('ws:// to a non-loopback host needs allowInsecure', () => {
    assert.match(configError({ ...base, serverUrl: 'ws://rmm.example.com/agent' }), /serverUrl/);
    assert.doesNotThrow(() => parseConfig({ ...base, serverUrl: 'ws://rmm.example.com/agent', allowInsecure: true }));
    assert.doesNotThrow(() => parseConfig({ ...base, serverUrl: 'ws://127.0.0.1:8710/agent' }));
  });

  test('http(s) URLs are not server URLs', () => {
    assert.match(configError({ ...base, serverUrl: 'https://rmm.example.com' }), /serverUrl/);
  });

  test('certificate pins are normalised to lowercase hex', () => {
    const hex = 'AB'.repeat(32);
    const colons = hex.match(/../g)!.join(':');
    assert.equal(parseConfig({ ...base, serverCertificateSha256: colons }).config.serverCertificateSha256, 'ab'.repeat(32));
    const b64 = Buffer.from('ab'.repeat(32), 'hex').toString('base64');
    assert.equal(parseConfig({ ...base, serverCertificateSha256: b64 }).config.serverCertificateSha256, 'ab'.repeat(32));
    assert.match(configError({ ...base, serverCertificateSha256: 'nope' }), /serverCertificateSha256/);
  });

  test('unknown keys are warnings, not errors', () => {
    const { warnings } = parseConfig({ ...base, colour: 'blue', claude: { flavour: 1 } }, 'agent.json');
    assert.deepEqual(warnings, ['agent.json: unknown key "colour" ignored', 'agent.json: unknown key "claude.flavour" ignored']);
  });

  test('isLoopbackHost', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', '::1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['10.0.0.1', 'example.com', '128.0.0.1', 'localhost.example.com']) assert.equal(isLoopbackHost(h), false, h);
  });
});

describe('loadConfigFile', () => {
  test('reports unreadable files and invalid JSON with the path', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    try {
      const file = path.join(dir, 'agent.json');
      assert.throws(() => loadConfigFile(file), (e: Error) => e instanceof ConfigError && e.message.includes(file));
      writeFileSync(file, '{"serverUrl": ');
      assert.throws(() => loadConfigFile(file), (e: Error) => e instanceof ConfigError && /not valid JSON/.test(e.message));
      writeFileSync(file, JSON.stringify(base));
      assert.equal(loadConfigFile(file).config.apiKey, 'k');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
