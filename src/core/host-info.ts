import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The agent's version, read once from package.json. */
export const AGENT_VERSION: string = readVersion();

function readVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gururmm-agent' && pkg.version) return pkg.version;
    } catch {
      // try the next location (source tree vs dist/)
    }
  }
  return '0.0.0';
}

/** What the `auth` frame says about this machine. */
export function describeHost(): { hostname: string; os: string; os_version: string } {
  return { hostname: os.hostname(), os: process.platform, os_version: `${os.type()} ${os.release()}` };
}
