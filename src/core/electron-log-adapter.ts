/** Adapts an electron-log instance (node or main flavour) to the core's Logger interface. */
import type { Logger } from './logger.js';

interface LogFunctions {
  debug(...params: unknown[]): void;
  info(...params: unknown[]): void;
  warn(...params: unknown[]): void;
  error(...params: unknown[]): void;
}

/** Wraps electron-log so the core never depends on it directly; meta objects are written as JSON. */
export function adaptElectronLog(log: LogFunctions): Logger {
  const fmt = (message: string, meta?: Record<string, unknown>): unknown[] =>
    meta && Object.keys(meta).length > 0 ? [message, JSON.stringify(meta)] : [message];
  return {
    debug: (m, meta) => log.debug(...fmt(m, meta)),
    info: (m, meta) => log.info(...fmt(m, meta)),
    warn: (m, meta) => log.warn(...fmt(m, meta)),
    error: (m, meta) => log.error(...fmt(m, meta)),
  };
}

/** The parts of electron-log's file transport that decide where the log goes. */
interface FileTransportSettings {
  resolvePathFn: (...args: never[]) => string;
  maxSize: number;
  setAppName(name: string): void;
}

/**
 * Sends electron-log's file log to `file` whatever the working directory. Left alone, electron-log names
 * the app from the nearest package.json (found from the working directory when run as ESM) and, with none,
 * as under a service started from `/`, writes no file and prints a stack on every call. Call before any log call.
 */
export function pinLogFile(log: { transports: { file: FileTransportSettings } }, file: string, maxBytes: number, app: { name: string; version: string }): void {
  const transport = log.transports.file;
  transport.resolvePathFn = () => file;
  transport.maxSize = maxBytes;
  transport.setAppName(app.name);
  // The version is read from that package.json too, on the first write: handing electron-log the app's
  // own name and version (an undocumented field, hence the guard) stops the search altogether.
  const api = (log as { dependencies?: { externalApi?: { appPackageJson?: unknown } } }).dependencies?.externalApi;
  if (api && typeof api === 'object') api.appPackageJson = { name: app.name, version: app.version };
}
