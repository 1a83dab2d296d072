/** Reads the process table: parent links and (on Linux) environment markers. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Map of parent pid -> child pids for every process we can see. */
export function readParentLinks(platform: NodeJS.Platform = process.platform): Map<number, number[]> {
  const children = new Map<number, number[]>();
  const link = (pid: number, ppid: number): void => {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  };
  if (platform === 'linux') {
    for (const name of safeReaddir('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // Field 2 (comm) may contain spaces and parentheses: parse after the last ')'.
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        link(Number(name), Number(rest[1]));
      } catch {
        // the process ended while we looked
      }
    }
    return children;
  }
  try {
    const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8', timeout: 5000 });
    for (const line of out.split('\n')) {
      const m = line.trim().match(/^(\d+)\s+(\d+)$/);
      if (m) link(Number(m[1]), Number(m[2]));
    }
  } catch {
    // no ps: only the process group kill remains
  }
  return children;
}

/** Every descendant of `root` (not including root). */
export function descendantsOf(root: number, links: Map<number, number[]>): number[] {
  const out: number[] = [];
  const stack = [root];
  const seen = new Set<number>([root]);
  while (stack.length) {
    const pid = stack.pop()!;
    for (const c of links.get(pid) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

/** Linux: pids whose environment holds `NAME=value` (finds re-parented, daemonised descendants). */
export function pidsWithEnvMarker(name: string, value: string): number[] {
  if (process.platform !== 'linux') return [];
  const needle = Buffer.from(`\0${name}=${value}\0`);
  const head = Buffer.from(`${name}=${value}\0`);
  const out: number[] = [];
  for (const entry of safeReaddir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`);
      if (env.includes(needle) || env.subarray(0, head.length).equals(head)) out.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
