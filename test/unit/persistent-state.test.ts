import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parseConfig } from '../../src/contracts/config.js';
import { MemoryLogger, silentLogger } from '../../src/core/logger.js';
import { IdentityLostError, loadPersistentState, REBUILD_REQUESTER, treeMarkerSalt } from '../../src/core/persistent-state.js';
import { RateBudget } from '../../src/core/rate-budget.js';
import { makeTempDir } from '../support/agent-process.js';

const tmp = makeTempDir('pstate-');
after(() => tmp.cleanup());
let seq = 0;
const freshDir = (): string => {
  const dir = path.join(tmp.dir, `d${++seq}`);
  mkdirSync(dir);
  return dir;
};
const read = (dir: string, name: string): string => readFileSync(path.join(dir, name), 'utf8');
const stamp = (file: string): string => {
  const st = statSync(file);
  return `${st.ino}:${st.mtimeMs}`;
};
const HOUR = 3_600_000;

describe('the agent id survives the loss of one copy', () => {
  test('a new data directory gets an id in both copies; loading again writes nothing', async () => {
    const dir = freshDir();
    const first = await loadPersistentState(dir, silentLogger);
    const id = first.identity.get().agent_id;
    assert.deepEqual(JSON.parse(read(dir, 'identity.backup.json')), { agent_id: id });
    const before = ['identity.json', 'identity.backup.json'].map((f) => stamp(path.join(dir, f)));
    const second = await loadPersistentState(dir, silentLogger);
    assert.equal(second.identity.get().agent_id, id);
    assert.deepEqual(['identity.json', 'identity.backup.json'].map((f) => stamp(path.join(dir, f))), before, 'no rewrite at start-up');
    assert.deepEqual(readdirSync(dir).sort(), ['identity.backup.json', 'identity.json'], 'no pause or rate file written');
    assert.deepEqual(second.stateWarnings, []);
  });

  test('a corrupt identity.json is restored from the copy, the same id, and kept aside', async () => {
    const dir = freshDir();
    const id = (await loadPersistentState(dir, silentLogger)).identity.get().agent_id;
    writeFileSync(path.join(dir, 'identity.json'), '{"agent_id": "');
    const logger = new MemoryLogger();
    const again = await loadPersistentState(dir, logger);
    assert.equal(again.identity.get().agent_id, id);
    assert.deepEqual(JSON.parse(read(dir, 'identity.json')), { agent_id: id });
    assert.ok(readdirSync(dir).some((f) => f.startsWith('identity.json.corrupt-')));
    assert.match(again.stateWarnings.join('\n'), /identity\.json was unreadable .*restored from identity\.backup\.json/);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && l.message.includes('restored')));
  });

  test('a missing identity.json, or a corrupt or missing copy, is rewritten from the other', async () => {
    const dir = freshDir();
    const id = (await loadPersistentState(dir, silentLogger)).identity.get().agent_id;
    rmSync(path.join(dir, 'identity.json'));
    assert.equal((await loadPersistentState(dir, silentLogger)).identity.get().agent_id, id);
    writeFileSync(path.join(dir, 'identity.backup.json'), 'garbage');
    const primary = stamp(path.join(dir, 'identity.json'));
    const repaired = await loadPersistentState(dir, silentLogger);
    assert.equal(repaired.identity.get().agent_id, id);
    assert.equal(stamp(path.join(dir, 'identity.json')), primary, 'the good copy is left alone');
    assert.deepEqual(JSON.parse(read(dir, 'identity.backup.json')), { agent_id: id });
    rmSync(path.join(dir, 'identity.backup.json'));
    assert.equal((await loadPersistentState(dir, silentLogger)).identity.get().agent_id, id);
    assert.deepEqual(JSON.parse(read(dir, 'identity.backup.json')), { agent_id: id });
  });

  test('both copies unusable in a used data directory: start-up stops, saying what to do, and touches nothing', async () => {
    const dir = freshDir();
    await loadPersistentState(dir, silentLogger);
    writeFileSync(path.join(dir, 'identity.json'), '{');
    writeFileSync(path.join(dir, 'identity.backup.json'), '');
    await assert.rejects(loadPersistentState(dir, silentLogger), (err: Error) => {
      assert.ok(err instanceof IdentityLostError);
      assert.match(err.message, /identity\.json and identity\.backup\.json .* are both unreadable/);
      assert.match(err.message, /Restore identity\.json from a backup/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
    assert.equal(read(dir, 'identity.json'), '{', 'left in place, so the next start refuses too');
    await assert.rejects(loadPersistentState(dir, silentLogger), IdentityLostError);

    const deleted = freshDir();
    writeFileSync(path.join(deleted, 'commands.jsonl'), '');
    await assert.rejects(loadPersistentState(deleted, silentLogger), /both missing.*commands\.jsonl/);
    assert.equal(existsSync(path.join(deleted, 'identity.json')), false, 'no new id was made up');

    const pausedOnly = freshDir(); // nothing a new id would orphan: it counts as new, and stays paused
    writeFileSync(path.join(pausedOnly, 'pause.json'), JSON.stringify({ paused: true, until: null, since: 1 }));
    const state = await loadPersistentState(pausedOnly, silentLogger);
    assert.match(state.identity.get().agent_id, /^[0-9a-f-]{36}$/);
    assert.equal(state.pause.get().paused, true);
  });

  test('the tree-marker salt does not depend on identity.json, and differs between data directories', async () => {
    const dir = freshDir();
    const salt = (await loadPersistentState(dir, silentLogger)).markerSalt;
    assert.match(salt, /^[0-9a-f]{32}$/);
    const other = { agent_id: '6b1c3a52-1f0e-4f7a-9a43-0d8e1c5b2a11' };
    writeFileSync(path.join(dir, 'identity.json'), JSON.stringify(other));
    writeFileSync(path.join(dir, 'identity.backup.json'), JSON.stringify(other));
    const again = await loadPersistentState(dir, silentLogger);
    assert.equal(again.identity.get().agent_id, other.agent_id);
    assert.equal(again.markerSalt, salt);
    assert.equal(treeMarkerSalt(dir), salt);
    assert.notEqual((await loadPersistentState(freshDir(), silentLogger)).markerSalt, salt);
  });
});

describe('state that guards the user fails safe', () => {
  test('a torn pause.json means paused until the user resumes, across restarts, and says why', async () => {
    const dir = freshDir();
    await loadPersistentState(dir, silentLogger);
    writeFileSync(path.join(dir, 'pause.json'), '{"paused": fal');
    const logger = new MemoryLogger();
    const state = await loadPersistentState(dir, logger);
    assert.equal(state.pause.get().paused, true);
    assert.equal(state.pause.get().until, null);
    const warning = /pause\.json was unreadable .*\(kept as pause\.json\.corrupt-\d+\); remote execution stays paused until you resume it\./;
    assert.match(state.stateWarnings.join('\n'), warning);
    assert.ok(logger.lines.some((l) => l.level === 'error' && warning.test(l.message)));
    assert.ok(readdirSync(dir).some((f) => f.startsWith('pause.json.corrupt-')));

    const restarted = await loadPersistentState(dir, silentLogger);
    assert.equal(restarted.pause.get().paused, true, 'still paused after a restart');
    assert.match(restarted.stateWarnings.join('\n'), warning);
    await restarted.pause.set({ paused: false, until: null, since: null }); // what resume writes
    assert.deepEqual(restarted.stateWarnings, []);
    assert.equal((await loadPersistentState(dir, silentLogger)).pause.get().paused, false);
  });

  test('a torn rate-limit.json leaves no AI-task budget until a full hour after it was found, across restarts', async () => {
    const dir = freshDir();
    let now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const clock = { now: () => now };
    const { config } = parseConfig({ serverUrl: 'ws://127.0.0.1:1/agent', apiKey: 'k', claude: { maxTasksPerHour: 3 } });
    await loadPersistentState(dir, silentLogger, { clock });
    writeFileSync(path.join(dir, 'rate-limit.json'), '{"starts": [{"at": 17');
    const found = now;
    const state = await loadPersistentState(dir, silentLogger, { clock, aiTasksPerHour: 3 });
    const budget = new RateBudget(config.claude, clock, state);
    const refused = budget.limiter.check('tech');
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.reason, /Rate limit reached: 3 AI tasks per hour\. Next slot at 2026-01-01T13:00:00Z\./);
    assert.deepEqual(budget.status(), { limit: 3, used: 3, window_seconds: 3600, next_slot_at: '2026-01-01T13:00:00Z' });
    assert.match(state.stateWarnings.join('\n'), /rate-limit\.json was unreadable at 2026-01-01T12:00:00Z \(kept as rate-limit\.json\.corrupt-\d+\); no AI task starts until 2026-01-01T13:00:00Z/);

    now = found + HOUR / 2; // a restart half-way, with the limit raised meanwhile
    const restarted = await loadPersistentState(dir, silentLogger, { clock, aiTasksPerHour: 5 });
    const raised = parseConfig({ serverUrl: 'ws://127.0.0.1:1/agent', apiKey: 'k', claude: { maxTasksPerHour: 5 } }).config;
    const again = new RateBudget(raised.claude, clock, restarted);
    assert.equal(again.limiter.check('tech').ok, false, 'a restart gives no fresh budget');
    assert.equal(again.status().next_slot_at, '2026-01-01T13:00:00Z');
    assert.equal(restarted.stateWarnings.length, 1);

    now = found + HOUR + 1000;
    assert.equal(again.limiter.check('tech').ok, true, 'the budget is back one hour after the loss was found');
    assert.deepEqual(restarted.stateWarnings, []);
    assert.equal(new RateBudget(raised.claude, clock, await loadPersistentState(dir, silentLogger, { clock })).limiter.check(null).ok, true);
  });

  test('without the hourly limit the placeholders still use up any ordinary budget', async () => {
    const dir = freshDir();
    await loadPersistentState(dir, silentLogger);
    writeFileSync(path.join(dir, 'rate-limit.json'), 'not json');
    const state = await loadPersistentState(dir, silentLogger);
    const placeholders = state.rate.get().starts.filter((s) => s.requester === REBUILD_REQUESTER);
    assert.ok(placeholders.length >= 100);
    const { config } = parseConfig({ serverUrl: 'ws://127.0.0.1:1/agent', apiKey: 'k', claude: { maxTasksPerHour: 100 } });
    assert.equal(new RateBudget(config.claude, { now: () => Date.now() }, state).limiter.check('tech').ok, false);
  });
});
