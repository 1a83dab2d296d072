/** How times, durations and sizes read in the window: local clock times, short human durations. */
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** "14:32" in the user's locale and time zone. */
export function clockTime(at: string | number): string {
  return clockFormat.format(new Date(at));
}

/** "14:32" today, "Mar 3, 14:32" on another day. */
export function whenText(at: string, now: number): string {
  const d = new Date(at);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay ? clockFormat.format(d) : `${dayFormat.format(d)}, ${clockFormat.format(d)}`;
}

/** A finished task's duration: "0.4 s", "12 s", "3 min 5 s", "1 h 2 min". */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.max(1, Math.round(ms))} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const hours = Math.floor(m / 60);
  return m % 60 ? `${hours} h ${m % 60} min` : `${hours} h`;
}

/** A ticking clock: "0:07", "12:03", "1:02:03". */
export function stopwatch(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  const ss = String(s).padStart(2, '0');
  return hours ? `${hours}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The server's host and port, from its URL ("rmm.example.com"). */
export function serverName(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/** The last non-empty line of a chunk of output, kept short (as the agent keeps a task's tail). */
export function lastLine(data: string, max = 300): string {
  const lines = data.slice(-2 * max).split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line) return line.length > max ? `${line.slice(0, max)}…` : line;
  }
  return '';
}
