import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildClaudeArgs, toolSet } from '../../src/claude/claude-args.js';
import { sandboxSettings } from '../../src/claude/claude-executor.js';
import { buildClaudeEnv } from '../../src/claude/claude-env.js';
import { decideOutcome, type ClaudeRunFacts } from '../../src/claude/claude-outcome.js';
import { describeEvent, LineSplitter, parseClaudeLine, summarizeToolUse } from '../../src/claude/claude-stream.js';
import { claudeConfigSchema } from '../../src/contracts/config.js';

describe('claude argv', () => {
  test('the SPEC defaults, each as one argument, with an empty --setting-sources and no allow-list', () => {
    const args = buildClaudeArgs(claudeConfigSchema.parse({}), { workingDirectory: '/w', settingsFile: null });
    assert.deepEqual(args.slice(0, 18), [
      '-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'dontAsk',
      '--max-turns', '30', '--setting-sources', '', '--strict-mcp-config', '--no-session-persistence',
      '--tools', 'Read,Glob,Grep', '--append-system-prompt', args[17]!,
    ]);
    assert.match(args[17]!, /working directory \/w/);
    assert.equal(args.includes('--allowedTools'), false);
  });
  test('optional flags appear when configured; a scoped rule adds its tool to the tool set', () => {
    const cfg = claudeConfigSchema.parse({ allowedTools: ['Edit(./**)'], model: 'm', maxBudgetUsd: 0.5 });
    const args = buildClaudeArgs(cfg, { workingDirectory: '/w', settingsFile: '/d/s.json' });
    assert.equal(args[args.indexOf('--tools') + 1], 'Read,Glob,Grep,Edit');
    assert.deepEqual(args.slice(18), ['--allowedTools', 'Edit(./**)', '--model', 'm', '--max-budget-usd', '0.5', '--settings', '/d/s.json']);
  });
  test('the tool set: only what a rule names is added, once; worktree, cron, sub-agent and web tools never by default', () => {
    assert.deepEqual(toolSet([]), ['Read', 'Glob', 'Grep']);
    assert.deepEqual(toolSet(['Bash(git status:*)', 'Bash(git log:*)', 'Read(./**)', 'Write(./out/**)']), ['Read', 'Glob', 'Grep', 'Bash', 'Write']);
    for (const never of ['EnterWorktree', 'Task', 'WebFetch', 'WebSearch', 'NotebookEdit', 'CronCreate']) assert.equal(toolSet([]).includes(never), false);
  });
});

describe('claude sandbox settings', () => {
  test('the sandbox confines and never grants: no auto-allowed Bash, no escape hatch', () => {
    assert.deepEqual(sandboxSettings('auto', 'linux'), {
      sandbox: { enabled: true, failIfUnavailable: false, autoAllowBashIfSandboxed: false, allowUnsandboxedCommands: false },
    });
    assert.equal((sandboxSettings('required', 'darwin') as { sandbox: { failIfUnavailable: boolean } }).sandbox.failIfUnavailable, false);
    assert.equal(sandboxSettings('auto', 'linux', { outerSandbox: true }), null, 'it cannot nest inside the agent\'s own confinement');
    assert.equal(sandboxSettings('off', 'linux'), null);
    assert.equal(sandboxSettings('required', 'win32'), null);
  });
});

describe('claude environment', () => {
  test('an allow-list plus the private config dir; the agent key never passes', () => {
    const env = buildClaudeEnv({ env: { EXTRA: '1' } }, '/data/claude/task-1', {
      PATH: '/bin', HOME: '/h', LANG: 'C', LC_ALL: 'C', ANTHROPIC_API_KEY: 'a', ANTHROPIC_BASE_URL: 'u',
      GURURMM_API_KEY: 'secret', AWS_SECRET_ACCESS_KEY: 's', NODE_OPTIONS: '--inspect',
    });
    assert.deepEqual(Object.keys(env).sort(), [
      'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'CLAUDE_CODE_DISABLE_AUTO_MEMORY', 'CLAUDE_CODE_DISABLE_GIT_INSTRUCTIONS', 'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC',
      'CLAUDE_CODE_MAX_RETRIES', 'CLAUDE_CONFIG_DIR', 'DISABLE_AUTOUPDATER', 'EXTRA',
      'GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_KEY_1', 'GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_VALUE_0', 'GIT_CONFIG_VALUE_1',
      'HOME', 'LANG', 'LC_ALL', 'PATH',
    ]);
    assert.equal(env.CLAUDE_CONFIG_DIR, '/data/claude/task-1');
  });
  test('git cannot run planted code: fsmonitor and hooks forced off, even against claude.env', () => {
    const env = buildClaudeEnv({ env: { GIT_CONFIG_COUNT: '0', GIT_CONFIG_VALUE_0: 'touch /tmp/x' } }, '/data', {});
    assert.equal(env.GIT_CONFIG_COUNT, '2');
    assert.equal(env.GIT_CONFIG_KEY_0, 'core.fsmonitor');
    assert.equal(env.GIT_CONFIG_VALUE_0, '');
    assert.equal(env.GIT_CONFIG_KEY_1, 'core.hooksPath');
    assert.equal(env.GIT_CONFIG_VALUE_1, '/dev/null');
    assert.equal(env.CLAUDE_CODE_DISABLE_GIT_INSTRUCTIONS, '1');
  });
});

describe('claude stream parsing', () => {
  test('progress for init, text, tool use, denials and retries', () => {
    const items = [
      '{"type":"system","subtype":"init","model":"claude-x","tools":[]}',
      '{"type":"assistant","message":{"content":[{"type":"text","text":"Looking"},{"type":"tool_use","name":"Read","input":{"file_path":"/a/b/sync.log"}}]}}',
      '{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Bash","input":{"command":"git status"}}]}}',
      '{"type":"user","message":{"content":[{"type":"tool_result","is_error":true,"content":"Permission to use Bash has been denied"}]}}',
      '{"type":"system","subtype":"api_retry","attempt":2,"max_retries":3}',
    ].flatMap((l) => describeEvent(parseClaudeLine(l)!));
    assert.deepEqual(items, [
      { kind: 'text', data: 'started (claude-x)' },
      { kind: 'text', data: 'Looking' },
      { kind: 'tool_use', data: 'Read b/sync.log' },
      { kind: 'tool_use', data: 'Bash: git status' },
      { kind: 'tool_result', data: 'denied: Permission to use Bash has been denied' },
      { kind: 'text', data: 'retrying 2/3' },
    ]);
  });
  test('garbage and unknown lines are ignored, never thrown', () => {
    for (const l of ['', 'not json', '{', '[]', '{"type":"weird"}', '{"type":"assistant"}', '{"type":"result"}', 'null']) {
      assert.doesNotThrow(() => parseClaudeLine(l));
    }
    assert.equal(parseClaudeLine('{"type":"weird"}'), null);
  });
  test('tool summaries are one line and short', () => {
    assert.equal(summarizeToolUse('Bash', { command: 'a\nb' }), 'Bash: a b');
    assert.ok(summarizeToolUse('Bash', { command: 'x'.repeat(1000) }).length <= 160);
  });
  test('lines of several MB are accepted whole; split chunks are joined', () => {
    const big = JSON.stringify({ type: 'result', subtype: 'success', result: 'y'.repeat(5 * 1024 * 1024) });
    const lines: string[] = [];
    const s = new LineSplitter();
    const buf = Buffer.from(`${big}\n{"type":"system",`);
    for (let i = 0; i < buf.length; i += 65536) s.push(buf.subarray(i, i + 65536), (l) => lines.push(l));
    s.push(Buffer.from('"subtype":"init"}\n'), (l) => lines.push(l));
    assert.equal(lines.length, 2);
    assert.equal(parseClaudeLine(lines[0]!)?.type, 'result');
    assert.equal(parseClaudeLine(lines[1]!)?.type, 'system');
  });
});

describe('claude outcome (the SPEC table)', () => {
  const facts = (over: Partial<ClaudeRunFacts>): ClaudeRunFacts => ({
    sawInit: true, model: 'm', result: null, exit: { code: 0, signal: null }, timedOut: false, timeoutMs: 1000, stopped: null, stderr: '', durationMs: 5, ...over,
  });
  const id = (s: string): string => s;
  const result = (over: Record<string, unknown>) => ({ type: 'result' as const, subtype: 'success', is_error: false, result: 'fine', ...over });
  test('success', () => {
    const o = decideOutcome(facts({ result: result({ num_turns: 2, total_cost_usd: 0.01, permission_denials: [{ tool_name: 'Bash', tool_input: { command: 'ls /' } }] }) }), id);
    assert.equal(o.exit_code, 0);
    assert.equal(o.stdout, 'fine');
    assert.deepEqual(o.claude, { model: 'm', num_turns: 2, total_cost_usd: 0.01, permission_denials: ['Bash: ls /'] });
  });
  test('errors, non-zero exit, missing result -> 1', () => {
    assert.equal(decideOutcome(facts({ result: result({ subtype: 'error_max_turns', is_error: true }), exit: { code: 1, signal: null } }), id).exit_code, 1);
    assert.equal(decideOutcome(facts({ result: result({ is_error: true, api_error_status: 500, result: 'API Error: 500' }), exit: { code: 1, signal: null } }), id).exit_code, 1);
    assert.equal(decideOutcome(facts({ result: result({}), exit: { code: 2, signal: null } }), id).exit_code, 1);
    assert.equal(decideOutcome(facts({ result: null }), id).exit_code, 1);
  });
  test('our timer wins -> 124; a stop -> -1; no init or spawn error -> -1', () => {
    assert.equal(decideOutcome(facts({ timedOut: true, result: result({}) }), id).exit_code, 124);
    assert.equal(decideOutcome(facts({ stopped: { status: 'cancelled', reason: 'r' } }), id).status, 'cancelled');
    assert.equal(decideOutcome(facts({ sawInit: false, exit: { code: 1, signal: null }, stderr: 'Error: sandbox required but unavailable' }), id).exit_code, -1);
    assert.equal(decideOutcome(facts({ exit: { code: null, signal: null, error: new Error('ENOENT') } }), id).exit_code, -1);
  });
});
