/**
 * The tray window (SPEC §6): about 420 x 640, sandboxed, opened from the tray, hidden (not closed) when
 * the user closes it. It may not navigate, open windows, attach webviews or get any permission.
 */
import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import type { Logger } from '../src/core/logger.js';

export function agentWindowOptions(o: { preload: string; icon?: string; devTools: boolean }): BrowserWindowConstructorOptions {
  return {
    width: 420,
    height: 640,
    minWidth: 360,
    minHeight: 480,
    show: false,
    title: 'GuruRMM Agent',
    icon: o.icon,
    fullscreenable: false,
    webPreferences: {
      preload: o.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: o.devTools,
    },
  };
}

/** The page can only stay where it is: every navigation, new window and webview is refused. */
export function confineContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, logger: Logger): void {
  contents.on('will-navigate', (event) => {
    event.preventDefault();
    logger.warn('window: refused a navigation', { url: event.url });
  });
  contents.on('will-frame-navigate', (event) => {
    event.preventDefault();
    logger.warn('window: refused a frame navigation', { url: event.url });
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    logger.warn('window: refused to open a window', { url });
    return { action: 'deny' };
  });
}

/** The window needs no permission (camera, notifications, clipboard...): every request and check says no. */
export function denyPermissions(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export interface WindowManager {
  /** Shows the window (creating it the first time), restored and focused. */
  show(): void;
  /** The window's contents while it exists: where events go, and the only trusted IPC sender. */
  contents(): WebContents | null;
}

export function createWindowManager(o: {
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  options: BrowserWindowConstructorOptions;
  url: string;
  isQuitting: () => boolean;
  logger: Logger;
}): WindowManager {
  let win: BrowserWindow | null = null;

  const reveal = (w: BrowserWindow): void => {
    if (w.isDestroyed()) return;
    if (w.isMinimized()) w.restore();
    w.show();
    w.focus();
  };

  const create = (): BrowserWindow => {
    const w = new o.BrowserWindow(o.options);
    w.removeMenu();
    confineContents(w.webContents, o.logger);
    denyPermissions(w.webContents.session);
    w.on('close', (event) => {
      if (o.isQuitting()) return;
      event.preventDefault();
      w.hide();
    });
    w.on('closed', () => {
      if (win === w) win = null;
    });
    w.webContents.on('render-process-gone', (_event, details) => o.logger.error('window: the page crashed', { reason: details.reason }));
    w.once('ready-to-show', () => reveal(w));
    w.loadURL(o.url).catch((err: unknown) => o.logger.error('window: the page did not load', { error: String(err) }));
    return w;
  };

  return {
    show() {
      if (win && !win.isDestroyed()) reveal(win);
      else win = create();
    },
    contents: () => (win && !win.isDestroyed() ? win.webContents : null),
  };
}
