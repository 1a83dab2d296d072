import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostAllowed, newConsoleToken, originAllowed, securityHeaders, tokenAllowed, withTokenLinks } from '../../src/console/console-guard.js';
import { bridgeCallSchema } from '../../src/contracts/bridge.js';

describe('console guard', () => {
  const token = newConsoleToken();
  test('tokens are long and random', () => {
    assert.ok(token.length >= 40);
    assert.notEqual(newConsoleToken(), token);
  });
  test('the token is accepted from the URL only (a cookie would reach every other service on 127.0.0.1)', () => {
    assert.equal(tokenAllowed(new URL(`http://127.0.0.1:5/?token=${token}`), token), true);
    assert.equal(tokenAllowed(new URL('http://127.0.0.1:5/?token=wrong'), token), false);
    assert.equal(tokenAllowed(new URL(`http://127.0.0.1:5/?token=${token.slice(0, -1)}`), token), false);
    assert.equal(tokenAllowed(new URL('http://127.0.0.1:5/'), token), false);
  });
  test('the page asks for its script and stylesheet with the token', () => {
    const html = withTokenLinks('<link rel="stylesheet" href="styles.css"><script src="app.js" defer></script>', 'a-b');
    assert.equal(html, '<link rel="stylesheet" href="styles.css?token=a-b"><script src="app.js?token=a-b" defer></script>');
  });
  test('only this loopback port is a valid Host (DNS rebinding)', () => {
    assert.equal(hostAllowed('127.0.0.1:8123', 8123), true);
    assert.equal(hostAllowed('localhost:8123', 8123), true);
    for (const h of ['evil.example:8123', '127.0.0.1:8124', '127.0.0.1', 'attacker.127.0.0.1.nip.io:8123', undefined]) assert.equal(hostAllowed(h, 8123), false, String(h));
  });
  test('a WebSocket must come from this console; plain page loads may have no Origin', () => {
    assert.equal(originAllowed('http://127.0.0.1:8123', 8123, true), true);
    assert.equal(originAllowed(undefined, 8123, true), false);
    assert.equal(originAllowed(undefined, 8123, false), true);
    for (const o of ['http://evil.example', 'http://127.0.0.1:9999', 'https://127.0.0.1:8123', 'null']) assert.equal(originAllowed(o, 8123, false), false, o);
  });
  test('the CSP allows nothing but the console itself', () => {
    const csp = securityHeaders(8123)['content-security-policy']!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self';/);
    assert.ok(!csp.includes('unsafe'));
    assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:8123 ws:\/\/localhost:8123;/);
  });
});

describe('bridge calls are validated where they enter', () => {
  test('known calls with their arguments pass; anything else is refused', () => {
    assert.equal(bridgeCallSchema.safeParse({ method: 'pause', durationMs: 900_000, alsoStop: false }).success, true);
    assert.equal(bridgeCallSchema.safeParse({ method: 'pause', durationMs: null, alsoStop: true }).success, true);
    for (const bad of [
      { method: 'pause', durationMs: -1, alsoStop: false },
      { method: 'pause', durationMs: 1e12, alsoStop: false },
      { method: 'stopTask', commandId: '' },
      { method: 'getHistory', filter: 'everything', limit: 50 },
      { method: 'getHistory', filter: 'all', limit: 100_000 },
      { method: 'constructor' },
      { method: '__proto__' },
      { method: 'setConfig', config: {} },
    ]) assert.equal(bridgeCallSchema.safeParse(bad).success, false, JSON.stringify(bad));
  });
});
