import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeEvent, parseClaudeLine } from '../../src/claude/claude-stream.js';
import { ConfigError, parseConfig } from '../../src/contracts/config.js';
import { parseInboundFrame } from '../../src/contracts/wire.js';
import { deepNest, obj, PROTO_NAMES, seededRandom, toText, withProtoKeys } from '../support/fuzz-input.js';
import { checkClaudeLine, checkConfig, checkFrame } from '../support/fuzz-targets.js';
import { runFuzz } from '../support/fuzz-run.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const CASES = 6000;

describe('fuzz: frame parser, config loader, Claude CLI line parser', () => {
  test(`${CASES} seeded cases never throw, never hang and give a valid value or a clean error (seed ${SEED})`, (t) => {
    const report = runFuzz({ seed: SEED, cases: CASES });
    t.diagnostic(`seed ${SEED}: ${report.cases} cases, slowest #${report.slowest.index} (${report.slowest.target}) ${report.slowest.ms.toFixed(1)} ms; replay one with: npm run fuzz -- --seed ${SEED} --from <index> --cases 1`);
    assert.deepEqual(report.failures.slice(0, 5), []);
  });

  test('every Object.prototype name, as the type or as a key at every level, is handled', () => {
    const r = seededRandom(SEED);
    const frames = [
      obj({ type: 'command', payload: obj({ id: 'p', command_type: obj({ claude_task: obj({ task: 't', context_files: ['a'] }) }), command: '' }) }),
      obj({ type: 'command', payload: obj({ id: 'p', command_type: 'shell', command: 'echo x' }) }),
      obj({ type: 'cancel', payload: obj({ command_id: 'p' }) }),
      obj({ type: 'history_request', payload: obj({ limit: 5 }) }),
    ];
    for (const name of PROTO_NAMES) {
      assert.equal(checkFrame(JSON.stringify({ type: name, payload: {} })), null, name);
      for (const f of frames) assert.equal(checkFrame(toText(withProtoKeys(r, f, [name]))), null, name);
      assert.equal(checkConfig(`{"serverUrl":"wss://x.example","apiKey":"k","${name}":1,"claude":{"${name}":{"${name}":1}}}`), null, name);
      assert.equal(checkClaudeLine(`{"type":"user","message":{"content":[{"type":"tool_result","is_error":true,"content":[{"text":{"${name}":1}}]}]}}`), null, name);
    }
  });

  test('a tool result whose text is an object with a non-function toString is described, not thrown', () => {
    const event = parseClaudeLine('{"type":"user","message":{"content":[{"type":"tool_result","is_error":true,"content":[{"text":{"toString":1}},{"text":"no such file"}]}]}}');
    assert.ok(event);
    assert.deepEqual(describeEvent(event), [{ kind: 'tool_result', data: 'denied: no such file' }]);
  });

  test('a serverUrl that is not a URL is a ConfigError naming the field, not a TypeError', () => {
    for (const serverUrl of ['rmm.example.com/agent', 'ws://', 'wss://[::1', 42]) {
      assert.throws(() => parseConfig({ serverUrl, apiKey: 'k' }), (err) => err instanceof ConfigError && /serverUrl/.test(err.message), String(serverUrl));
    }
  });

  test('10,000 levels of nesting and a 3 MB string come back as clean results', () => {
    for (const kind of ['array', 'object'] as const) {
      const deep = toText(deepNest(10_000, 1, kind));
      assert.equal(parseInboundFrame(deep).ok, false);
      assert.equal(checkFrame(`{"type":"cancel","payload":{"command_id":"c","x":${deep}}}`), null);
      assert.equal(checkConfig(`{"serverUrl":"wss://x.example","apiKey":"k","claude":${deep}}`), null);
      assert.equal(checkClaudeLine(`{"type":"assistant","message":{"content":[{"type":"tool_use","name":"X","input":${deep}}]}}`), null);
    }
    const big = parseInboundFrame(JSON.stringify({ type: 'command', payload: { id: 'big', command_type: 'shell', command: 'x'.repeat(3 << 20) } }));
    assert.ok(big.ok);
  });
});
