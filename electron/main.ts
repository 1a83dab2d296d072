/**
 * The Electron shell: lifecycle, single-instance lock, tray and notifications over the Electron-free
 * core in src/. Kept thin on purpose; everything testable lives in the core.
 */
import path from 'node:path';
import { app, Menu, Notification, nativeImage, Tray } from 'electron';
import log from 'electron-log/main.js';
import { ConfigError, loadConfigFile } from '../src/contracts/config.js';
import { Agent } from '../src/core/agent.js';
import { adaptElectronLog } from '../src/core/electron-log-adapter.js';
import { dataPlacementProblem, defaultConfigPath } from '../src/core/paths.js';
import { trayStateOf, trayTooltipOf, type TrayState } from '../src/core/tray-state.js';
import { buildTrayMenu } from './tray-menu.js';

const logger = adaptElectronLog(log);
let agent: Agent | null = null;
let tray: Tray | null = null;
let quitting = false;

function configPathFromArgs(argv: string[]): string {
  const i = argv.indexOf('--config');
  const next = i >= 0 ? argv[i + 1] : undefined;
  return next ? path.resolve(next) : defaultConfigPath();
}

function iconFor(state: TrayState): Electron.NativeImage {
  const file = path.join(app.getAppPath(), 'build', 'icons', `tray-${state}.png`);
  const image = nativeImage.createFromPath(file);
  return image.isEmpty() ? nativeImage.createEmpty() : image;
}

function refreshTray(): void {
  if (!tray || !agent) return;
  const snapshot = agent.snapshot();
  const state = trayStateOf(snapshot);
  tray.setImage(iconFor(state));
  tray.setToolTip(trayTooltipOf(snapshot));
  tray.setContextMenu(Menu.buildFromTemplate(buildTrayMenu(snapshot, agent, () => app.quit())));
}

async function startAgent(): Promise<void> {
  log.initialize();
  log.transports.file.maxSize = 5 * 1024 * 1024;
  let config;
  try {
    config = loadConfigFile(configPathFromArgs(process.argv)).config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    logger.error(err.message);
    new Notification({ title: 'GuruRMM Agent did not start', body: err.message.split('\n').slice(0, 3).join(' ') }).show();
    app.exit(2);
    return;
  }
  const dataDir = app.getPath('userData');
  const misplaced = dataPlacementProblem({ baseDirectory: config.claude.baseDirectory, dataDir, configPath: configPathFromArgs(process.argv) });
  if (misplaced) {
    logger.error(misplaced);
    new Notification({ title: 'GuruRMM Agent did not start', body: misplaced }).show();
    app.exit(2);
    return;
  }
  agent = await Agent.create({ config, dataDir, logger });
  agent.on('change', refreshTray);
  agent.on('notify', (n) => {
    if (Notification.isSupported()) new Notification({ title: n.title, body: n.body }).show();
  });
  tray = new Tray(iconFor('offline'));
  refreshTray();
  agent.start();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.enableSandbox();
  app.on('window-all-closed', () => {
    // A tray app keeps running with no window open.
  });
  app.on('before-quit', (event) => {
    // The policy's userMayQuit hides Quit from the menu; a quit that still arrives (OS shutdown, installer) is honoured.
    if (quitting || !agent) return;
    event.preventDefault();
    quitting = true;
    void agent.stop().finally(() => app.exit(0));
  });
  app.whenReady().then(startAgent, (err: unknown) => {
    logger.error('start-up failed', { error: String(err) });
    app.exit(1);
  });
}
