import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildClaudeArgs } from '../../src/claude/claude-args.js';
import { describeAsk, ruleMatches } from '../../src/claude/ask-rules.js';
import { parsePermissionRequest, permissionResponse } from '../../src/claude/permission-request.js';
import { claudeConfigSchema, parseConfig } from '../../src/contracts/config.js';

describe('ask rules (claude.askTools)', () => {
  const cwd = '/srv/share/logs';
  test('file rules match paths inside their pattern only', () => {
    assert.equal(ruleMatches('Edit(./**)', 'Edit', { file_path: '/srv/share/logs/a/b.conf' }, cwd), true);
    assert.equal(ruleMatches('Edit(./**)', 'Edit', { file_path: 'b.conf' }, cwd), true);
    assert.equal(ruleMatches('Edit(./**)', 'Edit', { file_path: '/srv/share/secret' }, cwd), false);
    assert.equal(ruleMatches('Edit(./**)', 'Edit', { file_path: '../../etc/passwd' }, cwd), false);
    assert.equal(ruleMatches('Edit(./out/*.txt)', 'Edit', { file_path: 'out/a.txt' }, cwd), true);
    assert.equal(ruleMatches('Edit(./out/*.txt)', 'Edit', { file_path: 'out/sub/a.txt' }, cwd), false);
    assert.equal(ruleMatches('Edit(./**)', 'Write', { file_path: 'a' }, cwd), false, 'another tool');
  });
  test('Bash prefix rules match the command word by word, never a longer word', () => {
    assert.equal(ruleMatches('Bash(systemctl restart:*)', 'Bash', { command: 'systemctl restart nginx' }, cwd), true);
    assert.equal(ruleMatches('Bash(systemctl restart:*)', 'Bash', { command: 'systemctl restarter' }, cwd), false);
    assert.equal(ruleMatches('Bash(systemctl restart:*)', 'Bash', { command: 'systemctl stop nginx' }, cwd), false);
    assert.equal(ruleMatches('Bash(git status)', 'Bash', { command: 'git status' }, cwd), true);
    assert.equal(ruleMatches('Bash(git status)', 'Bash', { command: 'git status; rm x' }, cwd), false);
  });
  test('what the user sees: the whole command; the path and the change', () => {
    const long = `systemctl restart x ${'y'.repeat(5000)}`;
    assert.equal(describeAsk('Bash', { command: long }, cwd).detail, long);
    const edit = describeAsk('Edit', { file_path: '/srv/share/logs/app.conf', old_string: 'a', new_string: 'b' }, cwd);
    assert.equal(edit.summary, 'Edit app.conf');
    assert.match(edit.detail, /- a\n\+ b/);
  });
  test('askTools follow the same scoping rules as allowedTools: bare rules are refused at start-up', () => {
    assert.throws(() => parseConfig({ serverUrl: 'ws://127.0.0.1:1/a', apiKey: 'k', claude: { askTools: ['Bash'] } }), /claude\.askTools/);
  });
  test('with ask rules the CLI asks the agent (default mode + stdio prompt tool); without, argv is as before', () => {
    const asks = buildClaudeArgs(claudeConfigSchema.parse({ askTools: ['Edit(./**)'] }), { workingDirectory: '/w', settingsFile: null });
    assert.deepEqual(asks.slice(asks.indexOf('--permission-mode'), asks.indexOf('--permission-mode') + 4), ['--permission-mode', 'default', '--permission-prompt-tool', 'stdio']);
    assert.equal(asks[asks.indexOf('--tools') + 1], 'Read,Glob,Grep,Edit');
    const plain = buildClaudeArgs(claudeConfigSchema.parse({}), { workingDirectory: '/w', settingsFile: null });
    assert.equal(plain.includes('--permission-prompt-tool'), false);
    assert.equal(plain[plain.indexOf('--permission-mode') + 1], 'dontAsk');
  });
  test('the permission protocol: a can_use_tool line parses; an allow sends back the input unchanged', () => {
    const line = JSON.stringify({ type: 'control_request', request_id: 'r1', request: { subtype: 'can_use_tool', tool_name: 'Bash', input: { command: 'ls' }, extra: 1 } });
    const req = parsePermissionRequest(line)!;
    assert.deepEqual(req, { requestId: 'r1', tool: 'Bash', input: { command: 'ls' } });
    assert.deepEqual(JSON.parse(permissionResponse(req, { behavior: 'allow' })), {
      type: 'control_response', response: { subtype: 'success', request_id: 'r1', response: { behavior: 'allow', updatedInput: { command: 'ls' } } },
    });
    assert.equal(parsePermissionRequest('{"type":"control_request","request":{"subtype":"interrupt"}}'), null);
    assert.equal(parsePermissionRequest('not json "can_use_tool"'), null);
  });
});
