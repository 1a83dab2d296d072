import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commandResultPayloadSchema, parseInboundFrame } from '../../src/contracts/wire.js';

const id = '550e8400-e29b-41d4-a716-446655440000';

describe('parseInboundFrame', () => {
  test('accepts the SPEC example claude_task command and ignores unknown fields', () => {
    const frame = JSON.stringify({
      type: 'command',
      payload: {
        id,
        command_type: { claude_task: { task: 'Check the sync log', working_directory: 'logs', context_files: ['sync.log'] } },
        command: 'unused for claude_task',
        timeout_seconds: 300,
        elevated: false,
        requested_by: 'alice',
        future_field: { anything: true },
      },
    });
    const parsed = parseInboundFrame(frame);
    assert.equal(parsed.ok, true);
    if (!parsed.ok || parsed.message.type !== 'command') throw new Error('expected a command');
    assert.deepEqual(parsed.message.payload.command_type, {
      claude_task: { task: 'Check the sync log', working_directory: 'logs', context_files: ['sync.log'] },
    });
    assert.equal('future_field' in parsed.message.payload, false);
    assert.deepEqual(parsed.message.raw?.future_field, { anything: true }, 'raw payload kept for signature checks');
  });

  test('shell command gets defaults for omitted optional fields', () => {
    const parsed = parseInboundFrame(JSON.stringify({ type: 'command', payload: { id, command_type: 'shell', command: 'echo hi' } }));
    assert.ok(parsed.ok && parsed.message.type === 'command');
    assert.equal(parsed.message.payload.elevated, false);
    assert.equal(parsed.message.payload.timeout_seconds, undefined);
  });

  test('non-JSON is rejected without a command id', () => {
    const parsed = parseInboundFrame('{not json');
    assert.deepEqual(parsed, { ok: false, error: 'frame is not valid JSON', commandId: null, type: null });
  });

  test('a bad command with a recognisable id names the id and the bad field', () => {
    const parsed = parseInboundFrame(JSON.stringify({ type: 'command', payload: { id, command_type: 'telnet', command: 'x' } }));
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.equal(parsed.commandId, id);
    assert.match(parsed.error, /command_type/);
  });

  test('unknown frame types are flagged as such, not as errors to answer', () => {
    const parsed = parseInboundFrame(JSON.stringify({ type: 'reboot_now', payload: { id } }));
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.equal(parsed.unknownType, true);
  });

  test('frames that are not {type, payload} objects never throw', () => {
    for (const text of ['null', '[]', '42', '"x"', '{"type":5}', '{"type":"command","payload":[]}', '{"type":"cancel","payload":{}}']) {
      const parsed = parseInboundFrame(text);
      assert.equal(parsed.ok, false, text);
    }
  });

  test('history_request limit is capped at 1000', () => {
    const parsed = parseInboundFrame(JSON.stringify({ type: 'history_request', payload: { limit: 5000 } }));
    assert.ok(parsed.ok && parsed.message.type === 'history_request');
    assert.equal(parsed.message.payload.limit, 1000);
  });
});

describe('hostile frames', () => {
  test('a type named after an Object.prototype member is an unknown type, not a crash', () => {
    for (const type of Object.getOwnPropertyNames(Object.prototype)) {
      const parsed = parseInboundFrame(JSON.stringify({ type, payload: { id, command_type: 'shell', command: 'echo x' } }));
      assert.deepEqual(parsed, { ok: false, error: `unknown frame type "${type}"`, commandId: null, type, unknownType: true });
    }
  });

  test('command ids are kept exactly: " job " is not "job"; an empty id is refused', () => {
    const parsed = parseInboundFrame(JSON.stringify({ type: 'command', payload: { id: ' job ', command_type: 'shell', command: 'echo x' } }));
    assert.ok(parsed.ok && parsed.message.type === 'command');
    assert.equal(parsed.message.payload.id, ' job ');
    for (const type of ['cancel', 'result_ack']) {
      const other = parseInboundFrame(JSON.stringify({ type, payload: { command_id: '\tjob\n' } }));
      assert.ok(other.ok && (other.message.type === 'cancel' || other.message.type === 'result_ack'));
      assert.equal(other.message.payload.command_id, '\tjob\n');
    }
    const empty = parseInboundFrame(JSON.stringify({ type: 'command', payload: { id: '', command_type: 'shell', command: 'echo x' } }));
    assert.equal(empty.ok, false);
    assert.equal(empty.ok ? null : empty.commandId, null);
    assert.match(empty.ok ? '' : empty.error, /id: command id is empty/);
  });

  test('a frame nested 10,000 levels deep is refused cleanly, answering its id', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const parsed = parseInboundFrame(`{"type":"command","payload":{"id":"deep","command_type":"shell","command":"x","extra":${deep}}}`);
    assert.deepEqual(parsed, { ok: false, error: 'frame is nested more than 64 levels deep', commandId: 'deep', type: 'command' });
  });
});

describe('command_result schema', () => {
  test('keeps the historical five fields first and requires a known status', () => {
    const ok = commandResultPayloadSchema.safeParse({
      command_id: id, exit_code: 0, stdout: 'hi\n', stderr: '', duration_ms: 12, status: 'succeeded', reason: null,
    });
    assert.equal(ok.success, true);
    const bad = commandResultPayloadSchema.safeParse({
      command_id: id, exit_code: 0, stdout: '', stderr: '', duration_ms: 1, status: 'done', reason: null,
    });
    assert.equal(bad.success, false);
  });
});
