/**
 * Who may talk to the console (SPEC §8): only a request that carries the token in its URL, whose Host
 * names this loopback port (no DNS rebinding), and whose Origin, when the browser sends one, is this same
 * console. Never a cookie: cookies are not kept apart by port, so every other service on 127.0.0.1 would
 * receive the token. Pure functions, so each rule is tested on its own.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export function newConsoleToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The hosts a browser may use for this console: loopback names with this port, nothing else. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function hostAllowed(host: string | undefined, port: number): boolean {
  return host !== undefined && allowedHosts(port).includes(host.toLowerCase());
}

/** No Origin (a top-level navigation, a non-browser client) is fine for HTTP; when present it must be ours. */
export function originAllowed(origin: string | undefined, port: number, required: boolean): boolean {
  if (origin === undefined) return !required;
  return allowedHosts(port).some((h) => origin.toLowerCase() === `http://${h}`);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token from the query string, checked in constant time. */
export function tokenAllowed(url: URL, token: string): boolean {
  const fromQuery = url.searchParams.get('token');
  return fromQuery !== null && sameSecret(fromQuery, token);
}

/** The page with the token on its own script and stylesheet URLs, which the browser then requests with it. */
export function withTokenLinks(html: string, token: string): string {
  const q = `?token=${encodeURIComponent(token)}`;
  return html.replace('href="styles.css"', `href="styles.css${q}"`).replace('src="app.js"', `src="app.js${q}"`);
}

/** Headers on every console response: the strict CSP (the page needs nothing but itself), no framing, no sniffing. */
export function securityHeaders(port: number): Record<string, string> {
  const sockets = allowedHosts(port).map((h) => `ws://${h}`).join(' ');
  return {
    'content-security-policy':
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ${sockets}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}
