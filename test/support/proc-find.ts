/** Finds processes by their command line in /proc (Linux), for tests of the tree kill. */
import { readdirSync, readFileSync } from 'node:fs';

/** Live (non-zombie) pids whose argv is exactly `argv`. */
export function pidsWithArgv(argv: readonly string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8') !== wanted) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A sleep duration (seconds) no other test uses, so its process can be found by its command line. */
export function uniqueSleepSeconds(): number {
  return 40_000 + ((process.pid * 7919 + Math.floor(Math.random() * 1e6)) % 50_000);
}

/** The shell command from the review: a grandchild that clears its environment, starts a new session and is re-parented to init. */
export function escapeScript(seconds: number): string {
  return `(env -i setsid sleep ${seconds} &); sleep 60`;
}
