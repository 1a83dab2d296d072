/** What /proc says about a process (memory in KiB, CPU in ms), and timing a program run directly. */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

export const rssKiB = (pid: number): number => statusField(pid, 'VmRSS');
export const hwmKiB = (pid: number): number => statusField(pid, 'VmHWM');

/** utime + stime of the process itself, in ms (resolution 1000 / CLK_TCK ms). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK;
}

export const CPU_TICK_MS = 1000 / CLK_TCK;

/**
 * Peak RSS growth of `pid` while it is watched: the high-water mark is reset at the start (clear_refs 5,
 * where permitted) and RSS is sampled every few ms besides, so a short peak between samples still counts.
 */
export class PeakWatch {
  readonly #pid: number;
  readonly baseKiB: number;
  readonly hwmReset: boolean;
  #peak: number;
  #timer: NodeJS.Timeout;

  constructor(pid: number, everyMs = 10) {
    this.#pid = pid;
    this.hwmReset = resetHwm(pid);
    this.baseKiB = rssKiB(pid);
    this.#peak = this.baseKiB;
    this.#timer = setInterval(() => this.#sample(), everyMs);
  }

  #sample(): void {
    try {
      this.#peak = Math.max(this.#peak, rssKiB(this.#pid));
    } catch {
      // the process is gone; the last samples stand
    }
  }

  /** Stops watching; the growth of the peak over the RSS at the start, in KiB. */
  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    if (this.hwmReset) {
      try {
        this.#peak = Math.max(this.#peak, hwmKiB(this.#pid));
      } catch {
        // gone
      }
    }
    return this.#peak - this.baseKiB;
  }
}

function resetHwm(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Runs `file args` to its end with stdout discarded; resolves with the wall time in ms. */
export function timeRun(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  const t0 = performance.now();
  const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${file} exited with ${code}`))));
  });
}
