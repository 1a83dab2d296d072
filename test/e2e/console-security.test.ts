/**
 * Who may open the console (SPEC §8): only the holder of the token, through a loopback Host, and the
 * bridge only from the console's own origin; the page itself runs under the strict CSP without a
 * single violation.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { cspViolations, openConsole, waitForText } from '../support/e2e-page.js';
import { E2EWorld, skipReasonPrinted, tokenOf, type E2EAgent } from '../support/e2e-world.js';

const skip = skipReasonPrinted();

function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Opens the bridge with the given Origin; resolves with the first message, or the HTTP status it was refused with. */
function openBridge(port: number, token: string, origin: string): Promise<{ refused: number } | { first: unknown }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/bridge?token=${token}`, { origin, handshakeTimeout: 5000 });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ refused: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('message', (data) => {
      resolve({ first: JSON.parse(data.toString()) });
      ws.close();
    });
    ws.on('error', reject);
  });
}

describe('the console guards its door', { skip, timeout: 30_000 }, () => {
  let world: E2EWorld;
  let a: E2EAgent;
  let port: number;
  let token: string;

  before(async () => {
    world = await E2EWorld.start();
    a = await world.startAgent();
    port = a.console.port;
    token = tokenOf(a.console.url);
  });

  after(async () => {
    await world?.close();
  });

  test('a wrong token gets 401 and no page, in the browser and to a plain client', async () => {
    const context = await world.browser.newContext();
    try {
      const page = await context.newPage();
      const res = await page.goto(`http://127.0.0.1:${port}/?token=${'x'.repeat(token.length)}`);
      assert.equal(res?.status(), 401);
      assert.match(await page.locator('body').innerText(), /^Unauthorized/);
      assert.equal(await page.locator('#app').count(), 0);
      const bare = await page.goto(`http://127.0.0.1:${port}/`);
      assert.equal(bare?.status(), 401);
    } finally {
      await context.close();
    }
    for (const path of ['/', '/app.js', '/styles.css', `/app.js?token=${token}x`]) {
      assert.equal((await get(port, path, {})).status, 401, path);
    }
  });

  test('a foreign Host header gets 403 (no DNS rebinding), the right one the page with its CSP', async () => {
    for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, 'localhost']) {
      const res = await get(port, `/?token=${token}`, { host });
      assert.equal(res.status, 403, host);
      assert.doesNotMatch(res.body, /app\.js/);
    }
    const ok = await get(port, `/?token=${token}`, { host: `127.0.0.1:${port}` });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /<script src="app\.js\?token=[\w-]+" defer><\/script>/);
    assert.match(String(ok.headers['content-security-policy']), /script-src 'self'; style-src 'self'/);
  });

  test('a WebSocket from another origin is refused; one from the console is served', async () => {
    assert.deepEqual(await openBridge(port, token, 'http://evil.example'), { refused: 403 });
    assert.ok(a.logger.lines.some((l) => l.message === 'console: refused a WebSocket' && l.meta?.origin === 'http://evil.example'));
    const ours = await openBridge(port, token, `http://127.0.0.1:${port}`);
    assert.ok('first' in ours);
    assert.equal((ours.first as { event?: { type?: string } }).event?.type, 'snapshot');
  });

  test('the page runs under the strict CSP without a violation', async () => {
    const p = await openConsole(world.browser, a.console.url);
    try {
      await world.server.waitForResult(world.shell(a.id, 'echo csp'));
      await p.page.locator('.record summary').first().click();
      await waitForText(p.page.locator('.record pre'), /^csp\n$/);
      await p.page.getByRole('button', { name: 'Pause', exact: true }).click();
      assert.deepEqual(await cspViolations(p.page), []);
      assert.equal(await p.page.locator('script:not([src])').count(), 0);
      assert.equal(await p.page.locator('style').count(), 0);
      assert.deepEqual(p.problems, []);
    } finally {
      await p.close();
    }
  });
});
