/** Command-line flags of the headless host (SPEC §8). */
import { parseArgs } from 'node:util';

export interface HeadlessArgs {
  config: string | null;
  dataDir: string | null;
  consolePort: number | null;
  help: boolean;
  version: boolean;
}

export const HEADLESS_USAGE = `Usage: npm run agent -- [--config FILE] [--data-dir DIR] [--console-port N]

Runs the GuruRMM agent without a desktop (no Electron).

  --config FILE       policy file (default: /etc/gururmm/agent.json, %ProgramData%\\GuruRMM\\agent.json,
                      /Library/Application Support/GuruRMM/agent.json)
  --data-dir DIR      where the agent keeps its id, pause state, rate window and command log
                      (default: the config's dataDir, else the per-user state folder)
  --console-port N    reserved for the local console on 127.0.0.1:N (0 = any free port); the console
                      comes with the tray window, this build accepts the flag and runs without it
  --help              show this help
  --version           print the agent version
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses argv (without node and script); throws UsageError with a clear sentence on bad flags. */
export function parseHeadlessArgs(argv: string[]): HeadlessArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        'console-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let consolePort: number | null = null;
  const portText = values['console-port'];
  if (typeof portText === 'string') {
    consolePort = Number(portText);
    if (!/^\d+$/.test(portText) || consolePort > 65535) {
      throw new UsageError(`--console-port must be a port number from 0 to 65535, not "${portText}".`);
    }
  }
  return {
    config: typeof values.config === 'string' ? values.config : null,
    dataDir: typeof values['data-dir'] === 'string' ? values['data-dir'] : null,
    consolePort,
    help: values.help === true,
    version: values.version === true,
  };
}
