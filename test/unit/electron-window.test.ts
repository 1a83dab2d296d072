import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { MemoryLogger } from '../../src/core/logger.js';
import { agentWindowOptions, confineContents, createWindowManager, denyPermissions } from '../../electron/window.js';

class FakeContents extends EventEmitter {
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  readonly session = {
    request: null as null | ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void),
    check: null as null | (() => boolean),
    setPermissionRequestHandler(fn: typeof this.request) {
      this.request = fn;
    },
    setPermissionCheckHandler(fn: typeof this.check) {
      this.check = fn;
    },
  };
  setWindowOpenHandler(fn: (d: { url: string }) => { action: string }): void {
    this.openHandler = fn;
  }
}

class FakeWindow extends EventEmitter {
  static made: FakeWindow[] = [];
  readonly webContents = new FakeContents();
  readonly log: string[] = [];
  destroyed = false;
  minimized = false;
  constructor(readonly options: BrowserWindowConstructorOptions) {
    super();
    FakeWindow.made.push(this);
  }
  removeMenu() {
    this.log.push('removeMenu');
  }
  async loadURL(url: string) {
    this.log.push(`load ${url}`);
  }
  isDestroyed() {
    return this.destroyed;
  }
  isMinimized() {
    return this.minimized;
  }
  restore() {
    this.log.push('restore');
  }
  show() {
    this.log.push('show');
  }
  focus() {
    this.log.push('focus');
  }
  hide() {
    this.log.push('hide');
  }
  /** What the user's close button does: 'close', then 'closed' unless a listener prevented it. */
  userCloses(): boolean {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) {
      this.destroyed = true;
      this.emit('closed');
    }
    return !prevented;
  }
}

describe('agent window', () => {
  test('is about 420 x 640, isolated, sandboxed, without Node, and web security left on', () => {
    const o = agentWindowOptions({ preload: '/app/dist/electron/preload.cjs', devTools: false });
    assert.equal(o.width, 420);
    assert.equal(o.height, 640);
    assert.equal(o.show, false);
    const w = o.webPreferences!;
    assert.equal(w.contextIsolation, true);
    assert.equal(w.sandbox, true);
    assert.equal(w.nodeIntegration, false);
    assert.equal(w.nodeIntegrationInSubFrames, false);
    assert.equal(w.webviewTag, false);
    assert.equal(w.devTools, false);
    assert.equal(w.preload, '/app/dist/electron/preload.cjs');
    assert.ok(!('webSecurity' in w) && !('allowRunningInsecureContent' in w) && !('experimentalFeatures' in w));
  });

  test('the page cannot navigate, open windows or attach webviews', () => {
    const contents = new FakeContents();
    const logger = new MemoryLogger();
    confineContents(contents as unknown as WebContents, logger);
    for (const name of ['will-navigate', 'will-frame-navigate', 'will-attach-webview']) {
      let prevented = false;
      contents.emit(name, { url: 'https://evil.example/', preventDefault: () => (prevented = true) });
      assert.ok(prevented, name);
    }
    assert.deepEqual(contents.openHandler!({ url: 'https://evil.example/' }), { action: 'deny' });
    assert.ok(logger.lines.some((l) => l.message === 'window: refused a navigation' && l.meta?.url === 'https://evil.example/'));
  });

  test('every permission request and check is denied', () => {
    const contents = new FakeContents();
    denyPermissions(contents.session as unknown as Session);
    for (const permission of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal']) {
      let answer: boolean | null = null;
      contents.session.request!(null, permission, (ok) => (answer = ok));
      assert.equal(answer, false, permission);
    }
    assert.equal(contents.session.check!(), false);
  });

  test('opened once from the tray, shown when ready; later opens show the same window', () => {
    FakeWindow.made = [];
    const windows = createWindowManager({
      BrowserWindow: FakeWindow as unknown as new (o: BrowserWindowConstructorOptions) => BrowserWindow,
      options: agentWindowOptions({ preload: '/p.cjs', devTools: false }),
      url: 'app://gururmm/index.html',
      isQuitting: () => false,
      logger: new MemoryLogger(),
    });
    assert.equal(windows.contents(), null);
    windows.show();
    const w = FakeWindow.made[0]!;
    assert.deepEqual(w.log, ['removeMenu', 'load app://gururmm/index.html']);
    assert.equal(w.webContents.openHandler !== null && w.webContents.session.request !== null, true, 'confined and permissions denied');
    w.emit('ready-to-show');
    assert.deepEqual(w.log.slice(2), ['show', 'focus']);
    w.minimized = true;
    windows.show();
    assert.deepEqual(w.log.slice(4), ['restore', 'show', 'focus']);
    assert.equal(FakeWindow.made.length, 1);
    assert.equal(windows.contents(), w.webContents);
  });

  test('closing hides it to the tray, unless the app is quitting', () => {
    FakeWindow.made = [];
    let quitting = false;
    const windows = createWindowManager({
      BrowserWindow: FakeWindow as unknown as new (o: BrowserWindowConstructorOptions) => BrowserWindow,
      options: {},
      url: 'app://gururmm/index.html',
      isQuitting: () => quitting,
      logger: new MemoryLogger(),
    });
    windows.show();
    const w = FakeWindow.made[0]!;
    assert.equal(w.userCloses(), false);
    assert.equal(w.log.at(-1), 'hide');
    assert.ok(windows.contents());
    quitting = true;
    assert.equal(w.userCloses(), true);
    assert.equal(windows.contents(), null);
    windows.show();
    assert.equal(FakeWindow.made.length, 2, 'a new window after the old one closed');
  });
});

describe('the shell keeps Electron at its edges', () => {
  test('only main.ts and preload.ts import electron at run time; the rest take Electron objects as parameters', () => {
    const dir = fileURLToPath(new URL('../../electron/', import.meta.url));
    const importers = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /^\s*import\s+(?!type\b)[^;]*from\s+'electron'/m.test(readFileSync(path.join(dir, f), 'utf8')));
    assert.deepEqual(importers.sort(), ['main.ts', 'preload.ts']);
  });
});
