/** The logging surface the core depends on; hosts adapt electron-log (or anything) to it. */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** A logger that drops everything; for tests that do not look at logs. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A logger that keeps every line in memory, so tests can assert on what was logged. */
export class MemoryLogger implements Logger {
  readonly lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  debug(message: string, meta?: Record<string, unknown>): void { this.lines.push({ level: 'debug', message, meta }); }
  info(message: string, meta?: Record<string, unknown>): void { this.lines.push({ level: 'info', message, meta }); }
  warn(message: string, meta?: Record<string, unknown>): void { this.lines.push({ level: 'warn', message, meta }); }
  error(message: string, meta?: Record<string, unknown>): void { this.lines.push({ level: 'error', message, meta }); }
}
