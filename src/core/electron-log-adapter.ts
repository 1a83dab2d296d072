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
