// The desktop app's renderer is served from app://unfold/ instead of file://. A file:// page shares its
// origin with every file on the disk (and Chromium grants file:// extra powers); app://unfold is an
// origin of its own, holding only the built renderer folder, so 'self' in the CSP means the app's own
// files and nothing else. This module is the handler's logic without Electron: which file an app:// URL
// names (never one outside the renderer folder), and the response for it.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { contentTypeOf } from './static-types';

export const APP_SCHEME = 'app';
export const APP_HOST = 'unfold';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** same policy as browser mode's header (test/app/csp.test.ts holds them together) */
export const APP_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'";

/** is this URL the app's own page (the only frame whose IPC calls are served) */
export function isAppPage(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.pathname === '/index.html';
  } catch {
    return false;
  }
}

/** the file an app:// URL names inside `root`, or why there is none */
export function resolveAppUrl(url: string, root: string): { file: string } | { status: 400 | 404; reason: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { status: 400, reason: 'malformed address' };
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return { status: 404, reason: 'not an address of this app' };
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return { status: 400, reason: 'malformed % escape' };
  }
  if (rel.includes('\0')) return { status: 400, reason: 'NUL in the address' };
  rel = rel.replace(/^\/+/, '') || 'index.html';
  const base = path.resolve(root);
  const file = path.resolve(base, rel);
  if (!file.startsWith(base + path.sep)) return { status: 404, reason: 'outside the app' };
  return { file };
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer> | string;
}

const HEADERS = {
  'Content-Security-Policy': APP_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

/** what the app:// handler answers for `url` */
export async function appResponse(url: string, root: string): Promise<AppResponse> {
  const r = resolveAppUrl(url, root);
  if ('status' in r) return { status: r.status, headers: { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }, body: r.reason };
  try {
    if (!(await stat(r.file)).isFile()) throw new Error('not a file');
    const body = await readFile(r.file);
    return { status: 200, headers: { ...HEADERS, 'Content-Type': contentTypeOf(r.file) }, body: new Uint8Array(body) };
  } catch {
    return { status: 404, headers: { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'not found' };
  }
}
