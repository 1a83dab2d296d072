import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { ApprovalBroker } from '../../src/policy/approval.js';
import { canonicalJson, signCommandPayload, verifyCommandSignature } from '../../src/policy/command-signature.js';
import { RateLimiter } from '../../src/policy/rate-limiter.js';
import { FORBIDDEN_TASK_CHARACTERS, validateTaskText } from '../../src/policy/task-validation.js';

const strict = { maxLength: 10_000, allowShellMetacharacters: false };

describe('task text', () => {
  test('trims, and refuses empty or whitespace-only text', () => {
    assert.deepEqual(validateTaskText('  Check the log  ', strict), { ok: true, value: 'Check the log' });
    assert.equal(validateTaskText(' \t ', strict).ok, false);
  });
  test('refuses every forbidden character, and injection attempts', () => {
    for (const c of FORBIDDEN_TASK_CHARACTERS) assert.equal(validateTaskText(`check ${c} now`, strict).ok, false, JSON.stringify(c));
    const r = validateTaskText('task; del *.*', strict);
    assert.ok(!r.ok && r.reason.includes('";"') && r.reason.includes('claude.allowShellMetacharacters'));
  });
  test('length limit counts the trimmed text', () => {
    assert.equal(validateTaskText('x'.repeat(10_000), strict).ok, true);
    assert.equal(validateTaskText('x'.repeat(10_001), strict).ok, false);
  });
  test('the admin may relax metacharacters, not emptiness or length', () => {
    const relaxed = { maxLength: 20, allowShellMetacharacters: true };
    assert.equal(validateTaskText('a & b | c; $(d)', relaxed).ok, true);
    assert.equal(validateTaskText('  ', relaxed).ok, false);
    assert.equal(validateTaskText('x'.repeat(21), relaxed).ok, false);
  });
});

describe('rate limiter', () => {
  const hour = 3_600_000;
  test('ten in a rolling hour, then refused with the next slot time, then free again', () => {
    let now = Date.parse('2026-11-24T13:00:00Z');
    const clock = { now: () => now };
    const rl = new RateLimiter({ limit: 10, windowMs: hour }, clock);
    for (let i = 0; i < 10; i++) {
      assert.equal(rl.check('a').ok, true);
      rl.take('a');
      now += 60_000;
    }
    const r = rl.check('a');
    assert.ok(!r.ok);
    assert.equal(r.reason, 'Rate limit reached: 10 AI tasks per hour. Next slot at 2026-11-24T14:00:00Z.');
    assert.deepEqual(rl.status(), { limit: 10, used: 10, window_seconds: 3600, next_slot_at: '2026-11-24T14:00:00Z' });
    now = Date.parse('2026-11-24T14:00:00.001Z');
    assert.equal(rl.check('a').ok, true);
    assert.equal(rl.status().used, 9);
  });
  test('restoring persisted starts keeps the count (a restart does not reset it)', () => {
    const now = 10 * hour;
    const first = new RateLimiter({ limit: 2, windowMs: hour }, { now: () => now });
    first.take(null);
    first.take(null);
    const restored = new RateLimiter({ limit: 2, windowMs: hour }, { now: () => now + 1000 }, first.starts());
    assert.equal(restored.check(null).ok, false);
    const old = new RateLimiter({ limit: 2, windowMs: hour }, { now: () => now + hour + 1 }, first.starts());
    assert.deepEqual(old.starts(), []);
  });
  test('a limit of 0 turns AI tasks off with a clear reason', () => {
    const rl = new RateLimiter({ limit: 0, windowMs: hour }, { now: () => hour });
    const r = rl.check(null);
    assert.ok(!r.ok && /turned off by the admin policy/.test(r.reason));
    assert.equal(rl.status().next_slot_at, null);
  });
  test('per-requester limit', () => {
    const rl = new RateLimiter({ limit: 10, windowMs: hour, perRequesterLimit: 2 }, { now: () => 5 * hour });
    rl.take('alice');
    rl.take('alice');
    const r = rl.check('alice');
    assert.ok(!r.ok && r.reason.startsWith('Rate limit reached for alice: 2 AI tasks per hour.'));
    assert.equal(rl.check('bob').ok, true);
  });
  test('requester names are trimmed and case-folded: tech, " tech ", Tech and TECH are one requester', () => {
    const rl = new RateLimiter({ limit: 10, windowMs: hour, perRequesterLimit: 2 }, { now: () => 5 * hour });
    rl.take('tech');
    rl.take(' Tech ');
    for (const variant of ['tech', 'tech ', 'Tech', 'TECH', '\ttech\n']) assert.equal(rl.check(variant).ok, false, variant);
    assert.equal(rl.check('tech2').ok, true);
  });
  test('commands without a requester share one bucket of their own (the limit is never skipped)', () => {
    const rl = new RateLimiter({ limit: 10, windowMs: hour, perRequesterLimit: 1 }, { now: () => 5 * hour });
    rl.take(null);
    const r = rl.check(null);
    assert.ok(!r.ok && /Rate limit reached for commands without a requester/.test(r.reason), JSON.stringify(r));
    assert.equal(rl.check('   ').ok, false, 'a blank name is no name');
    assert.equal(rl.check('anonymous').ok, true, 'a technician named "anonymous" is not the unnamed bucket');
  });
});

describe('approval broker', () => {
  const clock = { now: () => Date.now() };
  const req = { commandId: 'c1', task: 't', requestedBy: 'tech', workingDirectory: '/w' };
  test('allow and deny by the user', async () => {
    const b = new ApprovalBroker(clock, 10_000);
    let changes = 0;
    b.on('change', () => changes++);
    const p = b.request(req);
    assert.equal(b.pending().length, 1);
    assert.equal(b.decide('c1', 'allow'), true);
    assert.equal((await p).decision, 'allow');
    assert.equal(b.decide('c1', 'deny'), false, 'nothing pending any more');
    const q = b.request({ ...req, commandId: 'c2' });
    b.decide('c2', 'deny');
    assert.deepEqual([(await q).decision, (await q).by], ['deny', 'user']);
    assert.ok(changes >= 4);
  });
  test('no answer in time is a denial; an abort is a denial by cancel', async () => {
    const b = new ApprovalBroker(clock, 50);
    assert.deepEqual(((d) => [d.decision, d.by])(await b.request(req)), ['deny', 'timeout']);
    const c = new AbortController();
    const p = new ApprovalBroker(clock, 10_000).request(req, c.signal);
    c.abort();
    assert.equal((await p).by, 'cancel');
  });
});

describe('command signatures', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const raw = (publicKey.export({ type: 'spki', format: 'der' }) as Buffer).subarray(-32).toString('base64');
  const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const now = Date.parse('2026-11-24T13:00:00Z');
  const AGENT = '11111111-2222-4333-8444-555555555555';
  const signed = (over: Record<string, unknown> = {}): Record<string, unknown> => {
    const p: Record<string, unknown> = { id: 'x', agent_id: AGENT, command_type: 'shell', command: 'echo hi', issued_at: new Date(now - 1000).toISOString(), ...over };
    p.signature = signCommandPayload(p, priv);
    return p;
  };
  test('canonical JSON sorts keys recursively', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });
  test('valid signatures verify with a PEM or a raw base64 key', () => {
    assert.deepEqual(verifyCommandSignature(signed(), pem, now, AGENT), { ok: true, value: undefined });
    assert.equal(verifyCommandSignature(signed(), raw, now, AGENT).ok, true);
  });
  test('tampered, unsigned, stale and future commands are refused', () => {
    assert.equal(verifyCommandSignature({ ...signed(), command: 'rm -rf /' }, pem, now, AGENT).ok, false);
    const { signature: _s, ...unsigned } = signed();
    assert.equal(verifyCommandSignature(unsigned, pem, now, AGENT).ok, false);
    assert.equal(verifyCommandSignature(signed({ issued_at: new Date(now - 6 * 60_000).toISOString() }), pem, now, AGENT).ok, false);
    assert.equal(verifyCommandSignature(signed({ issued_at: new Date(now + 5 * 60_000).toISOString() }), pem, now, AGENT).ok, false);
  });
  test('a command signed for another agent, or for no agent, is refused', () => {
    assert.deepEqual(verifyCommandSignature(signed(), pem, now, 'another-agent'), { ok: false, reason: 'signed for another agent.' });
    assert.match((verifyCommandSignature(signed({ agent_id: undefined }), pem, now, AGENT) as { reason: string }).reason, /agent_id/);
    // Tampering with agent_id breaks the signature itself.
    assert.match((verifyCommandSignature({ ...signed(), agent_id: 'another-agent' }, pem, now, 'another-agent') as { reason: string }).reason, /does not match/);
  });
});
