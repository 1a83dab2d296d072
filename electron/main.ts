/**
 * The Electron shell: lifecycle, single-instance lock, and the wiring of the core (src/) to the tray,
 * the window, IPC and notifications. Kept thin: each part lives in its own module and takes the
 * Electron objects it needs as parameters.
 */
import os from 'node:os';
import path from 'node:path';
import { app, BrowserWindow, ipcMain, Menu, nativeImage, nativeTheme, Notification, powerMonitor, protocol, session, Tray } from 'electron';
import log from 'electron-log/main.js';
import { createBridgeHandlers } from '../src/console/bridge-handlers.js';
import { ConfigError, loadConfigFile } from '../src/contracts/config.js';
import { Agent } from '../src/core/agent.js';
import { adaptElectronLog } from '../src/core/electron-log-adapter.js';
import { dataPlacementProblem, defaultConfigPath } from '../src/core/paths.js';
import { applyStartAtLogin, autostartDir, launchCommand } from './autostart.js';
import { coalesce } from './coalesce.js';
import { pushAgentEvents, registerBridgeIpc, trustAgentWindow } from './ipc.js';
import { APP_USER_MODEL_ID, showAgentNotifications } from './notifications.js';
import { APP_ENTRY_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './protocol.js';
import { createTrayController, runTrayAction, trayIconName } from './tray.js';
import { agentWindowOptions, createWindowManager, denyPermissions, type WindowManager } from './window.js';

/** Longest wait for the agent to stop its tasks and report them before the app exits anyway. */
const QUIT_TIMEOUT_MS = 30_000;

const logger = adaptElectronLog(log);
let agent: Agent | null = null;
let windows: WindowManager | null = null;
let tray: Tray | null = null;
let quitting = false;

function configArg(argv: string[]): string | null {
  const i = argv.indexOf('--config');
  const next = i >= 0 ? argv[i + 1] : undefined;
  return next ? path.resolve(next) : null;
}

const appFile = (...parts: string[]): string => path.join(app.getAppPath(), ...parts);

function loadTrayIcon(name: string): Electron.NativeImage {
  const image = nativeImage.createFromPath(appFile('build', 'icons', name));
  if (process.platform === 'darwin') image.setTemplateImage(true);
  return image;
}

function refuseToStart(message: string): void {
  logger.error(message);
  if (Notification.isSupported()) new Notification({ title: 'GuruRMM Agent did not start', body: message.split('\n').slice(0, 3).join(' ') }).show();
  app.exit(2);
}

async function startAgent(): Promise<void> {
  if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);
  denyPermissions(session.defaultSession);
  // Linux and macOS: hold the shutdown (Electron passes an event, its typings do not say so) until tasks are stopped and reported.
  powerMonitor.on('shutdown', (event?: { preventDefault(): void }) => {
    event?.preventDefault();
    app.quit();
  });
  const configPath = configArg(process.argv) ?? defaultConfigPath();
  let config;
  try {
    const loaded = loadConfigFile(configPath);
    config = loaded.config;
    for (const warning of loaded.warnings) logger.warn(warning);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return refuseToStart(err.message);
  }
  const dataDir = app.getPath('userData');
  const misplaced = dataPlacementProblem({ baseDirectory: config.claude.baseDirectory, dataDir, configPath });
  if (misplaced) return refuseToStart(misplaced);

  const core = (agent = await Agent.create({ config, dataDir, logger }));
  protocol.handle(APP_SCHEME, createAppProtocolHandler(appFile('dist', 'renderer')));
  const win = (windows = createWindowManager({
    BrowserWindow,
    options: agentWindowOptions({ preload: appFile('dist', 'electron', 'preload.cjs'), icon: appFile('build', 'icons', 'icon.png'), devTools: !app.isPackaged }),
    url: APP_ENTRY_URL,
    isQuitting: () => quitting,
    logger,
  }));
  registerBridgeIpc({ ipcMain, handlers: createBridgeHandlers(core), logger, isTrustedSender: trustAgentWindow(() => win.contents()) });
  // The tray app always has its window (shown by a notification when an action needs the user): asks go to it.
  core.attachWindow();
  pushAgentEvents({ agent: core, target: () => win.contents() });
  showAgentNotifications({ agent: core, Notification, onClick: () => win.show(), logger });

  const look = () => ({ platform: process.platform, darkTaskbar: nativeTheme.shouldUseDarkColorsForSystemIntegratedUI });
  tray = new Tray(loadTrayIcon(trayIconName('offline', look())));
  const view = createTrayController({
    tray,
    buildMenu: (template) => Menu.buildFromTemplate(template),
    loadIcon: loadTrayIcon,
    look,
    run: (action) => runTrayAction(action, { agent: core, openWindow: () => win.show(), quit: () => app.quit(), logger }),
  });
  // On macOS a click opens the menu; elsewhere it opens the window (the menu's "Open" covers desktops that drop clicks).
  if (process.platform !== 'darwin') tray.on('click', () => win.show());
  const refresh = coalesce(50, () => view.update(core.snapshot()));
  core.on('change', refresh.request);
  nativeTheme.on('updated', refresh.request);
  view.update(core.snapshot());

  const startAtLogin = config.startAtLogin;
  void applyStartAtLogin({
    policy: startAtLogin,
    packaged: app.isPackaged,
    platform: process.platform,
    dataDir,
    loginItems: app,
    launch: launchCommand({ execPath: process.execPath, env: process.env, configPath: configArg(process.argv) }),
    autostartDir: autostartDir(process.env, os.homedir()),
    logger,
  });
  core.start();
}

/** Stops running tasks, reports them to the server and writes the last log lines, then exits. */
function quitCleanly(): void {
  quitting = true;
  logger.info('quitting: stopping running tasks and reporting them');
  const stopped = agent ? agent.stop() : Promise.resolve();
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, QUIT_TIMEOUT_MS).unref());
  void Promise.race([stopped, timeout])
    .catch((err: unknown) => logger.error('error while stopping', { error: String(err) }))
    .finally(() => {
      logger.info('quit');
      app.exit(0);
    });
}

protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // electron-log writes each line synchronously, so nothing is lost at app.exit.
  log.transports.file.sync = true;
  log.transports.file.maxSize = 5 * 1024 * 1024;
  app.enableSandbox();
  app.on('second-instance', () => windows?.show());
  app.on('activate', () => windows?.show());
  app.on('window-all-closed', () => {
    // A tray app keeps running with no window open.
  });
  app.on('before-quit', (event) => {
    // Quit is hidden from the menu when the policy says so; a quit that still arrives (shutdown, installer) is honoured.
    if (!agent) return;
    event.preventDefault();
    if (!quitting) quitCleanly();
  });
  app.whenReady().then(startAgent, (err: unknown) => {
    logger.error('start-up failed', { error: String(err) });
    app.exit(1);
  });
}
