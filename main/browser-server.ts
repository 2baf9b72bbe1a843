// Browser mode: the same renderer, served from a loopback HTTP server that answers the same UnfoldApi.
// Where Electron cannot run, this is the app; it is also what the end-to-end tests drive.
//
// Who may talk to it: it listens on 127.0.0.1 only, and every request must carry the random token (in
// the x-unfold-token header, as ?token=, or in the cookie set when the page was first loaded with the
// token), else 403. The Host header must name the loopback address (a page on another site that rebinds
// its DNS name to 127.0.0.1 is refused), and API calls from another origin are refused.
//
// Endpoints: GET / and /assets/* (the built renderer, strict CSP), POST /api/<method> with a JSON array of
// arguments answering an ApiResult, GET /api/events (Server-Sent Events: every UnfoldEvent).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { API_METHODS, TOKEN_HEADER, type UnfoldEvent } from '../core/api';
import { dispatch, type Handlers } from './handlers';

/** the Content-Security-Policy of every response: only our own scripts, styles and connections */
export const BROWSER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': BROWSER_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

const MAX_BODY = 8 << 20;

/** one stream of events, many listeners (the SSE connections) */
export class EventHub {
  private listeners = new Set<(e: UnfoldEvent) => void>();
  emit = (e: UnfoldEvent): void => {
    for (const l of this.listeners) l(e);
  };
  subscribe(l: (e: UnfoldEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export interface BrowserServerOptions {
  handlers: Handlers;
  events: EventHub;
  /** the built renderer (out/renderer) */
  rendererDir: string;
  /** default: 32 random bytes, hex */
  token?: string;
  /** default: any free port */
  port?: number;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(null);
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const token = opts.token ?? randomBytes(32).toString('hex');
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) throw new Error('the browser-mode token must be 16–128 letters, digits, "_" or "-"');
  const tokenBuf = Buffer.from(token);
  const root = path.resolve(opts.rendererDir);
  let port = 0;
  let cookieName = 'unfold_token';

  const tokenOk = (given: string | null): boolean => {
    if (given === null) return false;
    const b = Buffer.from(given);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };

  const serveStatic = async (res: ServerResponse, pathname: string, setCookie: boolean): Promise<void> => {
    const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
    const file = path.resolve(root, rel);
    if (file !== root && !file.startsWith(root + path.sep)) return send(res, 404, 'not found');
    let body: Buffer;
    try {
      if (!(await stat(file)).isFile()) return send(res, 404, 'not found');
      body = await readFile(file);
    } catch {
      return send(res, 404, rel === 'index.html' ? `the renderer is not built: no ${file} (run: npx electron-vite build)` : 'not found');
    }
    const extra: Record<string, string> = {};
    if (setCookie) extra['Set-Cookie'] = `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    send(res, 200, body, TYPES[path.extname(file)] ?? 'application/octet-stream', extra);
  };

  const server = createServer((req, res) => {
    const handle = async (): Promise<void> => {
      // DNS rebinding: a foreign page that resolves its own name to 127.0.0.1 still sends its own Host
      const host = req.headers.host ?? '';
      if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(res, 403, 'forbidden: wrong host');
      const url = new URL(req.url ?? '/', `http://${host}`);
      const viaQuery = url.searchParams.get('token');
      const header = req.headers[TOKEN_HEADER];
      const given = typeof header === 'string' ? header : viaQuery ?? cookie(req, cookieName);
      if (!tokenOk(given)) return send(res, 403, 'forbidden: this Unfold server needs its token (open the URL it printed)');

      if (url.pathname === '/api/events') {
        if (req.method !== 'GET') return send(res, 405, 'method not allowed', undefined, { Allow: 'GET' });
        res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
        res.write('event: hello\ndata: {}\n\n');
        const off = opts.events.subscribe((e) => res.write(`data: ${JSON.stringify(e)}\n\n`));
        const beat = setInterval(() => res.write(': keep-alive\n\n'), 15000);
        req.on('close', () => {
          clearInterval(beat);
          off();
        });
        return;
      }

      if (url.pathname.startsWith('/api/')) {
        if (req.method !== 'POST') return send(res, 405, 'method not allowed', undefined, { Allow: 'POST' });
        const origin = req.headers.origin;
        if (origin !== undefined && origin !== `http://${host}`) return send(res, 403, 'forbidden: cross-origin call');
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, 'API calls must be application/json');
        const method = url.pathname.slice('/api/'.length);
        if (!(API_METHODS as string[]).includes(method)) return send(res, 404, `no API method ${JSON.stringify(method.slice(0, 60))}`);
        const body = await readBody(req);
        if (body === null) return send(res, 413, `request body larger than ${MAX_BODY} bytes`);
        let args: unknown;
        try {
          args = body.length === 0 ? [] : JSON.parse(body.toString('utf8'));
        } catch {
          return send(res, 400, 'the request body is not JSON');
        }
        const result = await dispatch(opts.handlers, method, args);
        return send(res, 200, JSON.stringify(result), 'application/json');
      }

      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', undefined, { Allow: 'GET' });
      await serveStatic(res, url.pathname, viaQuery !== null);
    };
    handle().catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, `internal error: ${e instanceof Error ? e.message : String(e)}`);
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  cookieName = `unfold_token_${port}`;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
