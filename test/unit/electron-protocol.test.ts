import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { APP_ENTRY_URL, APP_SCHEME_PRIVILEGES, appSecurityHeaders, createAppProtocolHandler, resolveAppPath } from '../../electron/protocol.js';

describe('app:// serves the renderer folder and nothing else', () => {
  let base: string;
  let root: string;
  before(() => {
    base = mkdtempSync(path.join(tmpdir(), 'gururmm-protocol-'));
    root = path.join(base, 'renderer');
    mkdirSync(path.join(root, 'img'), { recursive: true });
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>agent</title>');
    writeFileSync(path.join(root, 'app.js'), 'console.log(1)');
    writeFileSync(path.join(root, 'img', 'logo.png'), 'png');
    writeFileSync(path.join(root, 'notes.txt'), 'not served');
    writeFileSync(path.join(base, 'secret.json'), '{"apiKey":"k"}');
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  test('files inside the folder resolve; "/" is the page', () => {
    assert.equal(resolveAppPath(root, 'app://gururmm/'), path.join(root, 'index.html'));
    assert.equal(resolveAppPath(root, APP_ENTRY_URL), path.join(root, 'index.html'));
    assert.equal(resolveAppPath(root, 'app://gururmm/app.js?v=1#x'), path.join(root, 'app.js'));
    assert.equal(resolveAppPath(root, 'app://gururmm/img/logo.png'), path.join(root, 'img', 'logo.png'));
    assert.equal(resolveAppPath(root, 'app://gururmm/img/../app.js'), path.join(root, 'app.js'));
  });

  test('.. in any spelling never leaves the folder', () => {
    for (const url of [
      'app://gururmm/..%2fsecret.json',
      'app://gururmm/..%2F..%2F..%2Fetc%2Fpasswd',
      'app://gururmm/img/..%2f..%2fsecret.json',
      'app://gururmm/%2e%2e%2fsecret.json',
      'app://gururmm/%2E%2E%2Fsecret.json',
      'app://gururmm/..%5csecret.json',
      'app://gururmm/%2e%2e%5c%2e%2e%5csecret.json',
      'app://gururmm/img%5c..%5c..%5csecret.json',
    ]) {
      assert.equal(resolveAppPath(root, url), null, url);
    }
    // The URL parser already folds plain and encoded dot segments; what is left stays inside.
    for (const url of ['app://gururmm/../secret.json', 'app://gururmm/%2e%2e/%2e%2e/secret.json', 'app://gururmm/..', 'app://gururmm/%2e%2e']) {
      const file = resolveAppPath(root, url);
      assert.ok(file === null || file.startsWith(root + path.sep), url);
    }
  });

  test('absolute, drive and UNC paths, backslashes, NULs and bad escapes are refused', () => {
    for (const url of [
      'app://gururmm/%2Fetc%2Fpasswd',
      'app://gururmm//etc/passwd',
      `app://gururmm/${encodeURIComponent(path.join(base, 'secret.json'))}`,
      'app://gururmm/C:%5CWindows%5Cwin.ini',
      'app://gururmm/C:/Windows/win.ini',
      'app://gururmm/c%3a%2fWindows%2fwin.ini',
      'app://gururmm/%5C%5Cserver%5Cshare%5Cx',
      'app://gururmm/img%5Clogo.png',
      'app://gururmm/index.html%00.png',
      'app://gururmm/%E0%A4%A',
    ]) {
      assert.equal(resolveAppPath(root, url), null, url);
    }
  });

  test('only our own origin is served', () => {
    for (const url of ['app://evil/index.html', 'app://gururmm.evil/index.html', 'file:///etc/passwd', 'https://gururmm/index.html', 'not a url']) {
      assert.equal(resolveAppPath(root, url), null, url);
    }
  });

  test('answers carry the strict CSP: no network, no inline code, no framing', async () => {
    const serve = createAppProtocolHandler(root);
    const ok = await serve(new Request('app://gururmm/index.html'));
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(await ok.text(), '<!doctype html><title>agent</title>');
    const csp = ok.headers.get('content-security-policy')!;
    for (const rule of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'none'", "frame-ancestors 'none'"]) assert.ok(csp.includes(rule), rule);
    assert.ok(!csp.includes('unsafe'));
    assert.equal(ok.headers.get('x-content-type-options'), 'nosniff');
    const js = await serve(new Request('app://gururmm/app.js'));
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.deepEqual(appSecurityHeaders()['content-security-policy'], csp);
  });

  test('traversal, unknown types, missing files and other methods are refused, still with the CSP', async () => {
    const serve = createAppProtocolHandler(root);
    for (const [url, status] of [
      ['app://gururmm/..%2fsecret.json', 404],
      ['app://gururmm/notes.txt', 404],
      ['app://gururmm/missing.js', 404],
      ['app://gururmm/img', 404],
      ['app://evil/index.html', 404],
    ] as const) {
      const res = await serve(new Request(url));
      assert.equal(res.status, status, url);
      assert.ok(res.headers.get('content-security-policy'), url);
      assert.ok(!(await res.text()).includes('apiKey'));
    }
    assert.equal((await serve(new Request('app://gururmm/index.html', { method: 'POST', body: 'x' }))).status, 405);
    const head = await serve(new Request('app://gururmm/index.html', { method: 'HEAD' }));
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  test('the scheme is registered standard and secure', () => {
    assert.deepEqual(APP_SCHEME_PRIVILEGES, { scheme: 'app', privileges: { standard: true, secure: true } });
  });
});
