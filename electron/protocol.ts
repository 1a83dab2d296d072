/**
 * The window's pages come from `app://gururmm/`, served from dist/renderer only: a request naming anything
 * outside that folder is a 404, and every answer carries the strict CSP (the window needs no network).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CustomScheme } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'gururmm';
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Registered before `ready`: standard (so 'self' and relative URLs resolve) and secure (a secure context). */
export const APP_SCHEME_PRIVILEGES: CustomScheme = { scheme: APP_SCHEME, privileges: { standard: true, secure: true } };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** True for a URL of our own pages (`app://gururmm/...`). */
export function isAppUrl(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const u = new URL(url);
  return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
}

/**
 * The file inside `rendererDir` that `requestUrl` names, or null when it names anything else: another
 * host, `..` (plain or percent-encoded), an absolute or drive path, a backslash or a NUL.
 */
export function resolveAppPath(rendererDir: string, requestUrl: string): string | null {
  if (!isAppUrl(requestUrl)) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(requestUrl).pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  rel = rel.replace(/^\//, '') || 'index.html';
  if (path.posix.isAbsolute(rel) || path.win32.isAbsolute(rel) || /^[a-z]:/i.test(rel)) return null;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, rel);
  const inside = path.relative(root, file);
  if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) return null;
  return file;
}

/** Headers on every answer: the page may load only itself, and may connect nowhere (it talks over IPC). */
export function appSecurityHeaders(): Record<string, string> {
  return {
    'content-security-policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

/** The `protocol.handle` handler for `app:`: GET/HEAD of files inside `rendererDir` with a known type. */
export function createAppProtocolHandler(rendererDir: string, read: (file: string) => Promise<Uint8Array> = readFile): (request: Request) => Promise<Response> {
  return async (request) => {
    const headers = appSecurityHeaders();
    const text = (status: number, body: string): Response => new Response(`${body}\n`, { status, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' } });
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Method not allowed.');
    const file = resolveAppPath(rendererDir, request.url);
    const type = file ? TYPES[path.extname(file).toLowerCase()] : undefined;
    if (!file || !type) return text(404, 'Not found.');
    let body: Uint8Array;
    try {
      body = await read(file);
    } catch {
      return text(404, 'Not found.');
    }
    return new Response(request.method === 'HEAD' ? null : Buffer.from(body), { status: 200, headers: { ...headers, 'content-type': type } });
  };
}
