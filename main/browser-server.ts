// Browser mode: the same renderer, served from a loopback HTTP server that answers the same UnfoldApi.
// Where Electron cannot run, this is the app; it is also what the end-to-end tests drive.
//
// Who may talk to it: it listens on 127.0.0.1 only, and every API call and the event stream must carry the
// random token in the x-unfold-token header, else 403. Never a cookie: a browser sends cookies for
// 127.0.0.1 to every port, so any other local web server would receive it. Never the query string either
// (it ends up in histories and logs); the printed URL's ?token= is read by the page's own script, which
// keeps it in sessionStorage and takes it out of the address bar. The renderer's files themselves are the
// same public code as in the repository and are served without the token (a reload, whose URL no longer
// carries it, must still load the page). The Host header must name the loopback address (a page on
// another site that rebinds its DNS name to 127.0.0.1 is refused), and API calls from another origin are
// refused (a custom header also forces a CORS preflight, which this server never grants).
//
// Limits: a request body above 8 MiB is answered 413; a malformed path or argument list 400; at most
// `maxEventStreams` event streams at once (503 beyond), and a stream whose client does not read is
// dropped once `eventStreamBufferBytes` wait unsent, instead of buffering without bound.
//
// Endpoints: GET / and /assets/* (the built renderer, strict CSP), POST /api/<method> with a JSON array of
// arguments answering an ApiResult, GET /api/events (Server-Sent Events: every UnfoldEvent).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { API_METHODS, TOKEN_HEADER, type UnfoldEvent } from '../core/api';
import { dispatch, MAX_ARGS, type Handlers } from './handlers';
import { contentTypeOf } from './static-types';

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

/** the largest API request body accepted (the longest legitimate one, a YARA rule set, is far smaller) */
export const MAX_BODY = 8 << 20;
/** an oversized body is read and thrown away up to this much so the 413 reaches the client; beyond, the
 * connection is cut */
const MAX_DRAIN = 64 << 20;
export const DEFAULT_MAX_EVENT_STREAMS = 8;
export const DEFAULT_EVENT_STREAM_BUFFER = 16 << 20;

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
  get size(): number {
    return this.listeners.size;
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
  /** event streams open at once; default 8 */
  maxEventStreams?: number;
  /** bytes an event stream may have waiting unsent before its client is dropped; default 16 MiB */
  eventStreamBufferBytes?: number;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  /** event streams open now */
  eventStreams(): number;
  /** connections open now */
  connections(): Promise<number>;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}

/** the body, or 'too-large' once it passed MAX_BODY (the rest is drained, so a 413 can be answered) */
function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const declared = Number(req.headers['content-length'] ?? NaN);
    let tooLarge = Number.isFinite(declared) && declared > MAX_BODY;
    if (Number.isFinite(declared) && declared > MAX_DRAIN) {
      resolve('too-large');
      req.destroy();
      return;
    }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_DRAIN) {
        req.destroy();
        return;
      }
      if (size > MAX_BODY) tooLarge = true;
      if (!tooLarge) parts.push(c);
      else parts.length = 0;
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(parts)));
    req.on('close', () => resolve('too-large')); // only reached when cut off before 'end'
    req.on('error', reject);
  });
}

class BadRequest extends Error {}

function decodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    throw new BadRequest('the address holds a malformed % escape');
  }
}

export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const token = opts.token ?? randomBytes(32).toString('hex');
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) throw new Error('the browser-mode token must be 16–128 letters, digits, "_" or "-"');
  const tokenBuf = Buffer.from(token);
  const root = path.resolve(opts.rendererDir);
  const maxStreams = opts.maxEventStreams ?? DEFAULT_MAX_EVENT_STREAMS;
  const streamBuffer = opts.eventStreamBufferBytes ?? DEFAULT_EVENT_STREAM_BUFFER;
  let streams = 0;
  let port = 0;

  /** the token, from the x-unfold-token header only */
  const tokenOk = (req: IncomingMessage): boolean => {
    const given = req.headers[TOKEN_HEADER];
    if (typeof given !== 'string') return false;
    const b = Buffer.from(given);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };

  const serveStatic = async (res: ServerResponse, pathname: string): Promise<void> => {
    const rel = pathname === '/' ? 'index.html' : decodePath(pathname).replace(/^\/+/, '');
    if (rel.includes('\0')) return send(res, 400, 'the address holds a NUL character');
    const file = path.resolve(root, rel);
    if (file !== root && !file.startsWith(root + path.sep)) return send(res, 404, 'not found');
    let body: Buffer;
    try {
      if (!(await stat(file)).isFile()) return send(res, 404, 'not found');
      body = await readFile(file);
    } catch {
      return send(res, 404, rel === 'index.html' ? `the renderer is not built: no ${file} (run: npx electron-vite build)` : 'not found');
    }
    send(res, 200, body, contentTypeOf(file));
  };

  const eventStream = (req: IncomingMessage, res: ServerResponse): void => {
    if (streams >= maxStreams) {
      return send(res, 503, `too many event streams: at most ${maxStreams} at once (close other Unfold tabs)`, undefined, { 'Retry-After': '5' });
    }
    streams++;
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    let open = true;
    const write = (text: string): void => {
      if (!open) return;
      res.write(text);
      // a client that does not read would make us hold every event for it: drop it instead
      if (res.writableLength > streamBuffer) res.destroy();
    };
    write('event: hello\ndata: {}\n\n');
    const off = opts.events.subscribe((e) => write(`data: ${JSON.stringify(e)}\n\n`));
    const beat = setInterval(() => write(': keep-alive\n\n'), 15000);
    res.on('close', () => {
      if (!open) return;
      open = false;
      streams--;
      clearInterval(beat);
      off();
    });
  };

  const api = async (req: IncomingMessage, res: ServerResponse, host: string, pathname: string): Promise<void> => {
    if (req.method !== 'POST') return send(res, 405, 'method not allowed', undefined, { Allow: 'POST' });
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) return send(res, 403, 'forbidden: cross-origin call');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, 'API calls must be application/json');
    const method = pathname.slice('/api/'.length);
    if (!(API_METHODS as string[]).includes(method)) return send(res, 404, `no API method ${JSON.stringify(method.slice(0, 60))}`);
    const body = await readBody(req);
    if (body === 'too-large') return send(res, 413, `request body larger than ${MAX_BODY} bytes`, undefined, { Connection: 'close' });
    let args: unknown;
    try {
      args = body.length === 0 ? [] : JSON.parse(body.toString('utf8'));
    } catch {
      return send(res, 400, 'the request body is not JSON');
    }
    if (Array.isArray(args) && args.length > MAX_ARGS) return send(res, 400, `${method}: ${args.length} arguments; no method takes more than ${MAX_ARGS}`);
    const result = await dispatch(opts.handlers, method, args);
    return send(res, 200, JSON.stringify(result), 'application/json');
  };

  const server = createServer((req, res) => {
    const handle = async (): Promise<void> => {
      // DNS rebinding: a foreign page that resolves its own name to 127.0.0.1 still sends its own Host
      const host = req.headers.host ?? '';
      if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(res, 403, 'forbidden: wrong host');
      let url: URL;
      try {
        url = new URL(req.url ?? '/', `http://${host}`);
      } catch {
        return send(res, 400, 'malformed address');
      }
      if (url.pathname === '/api/events' || url.pathname.startsWith('/api/')) {
        if (!tokenOk(req)) return send(res, 403, 'forbidden: this Unfold server needs its token (open the URL it printed)');
        if (url.pathname !== '/api/events') return api(req, res, host, url.pathname);
        if (req.method !== 'GET') return send(res, 405, 'method not allowed', undefined, { Allow: 'GET' });
        return eventStream(req, res);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', undefined, { Allow: 'GET' });
      await serveStatic(res, url.pathname);
    };
    handle().catch((e: unknown) => {
      if (res.headersSent) res.destroy();
      else if (e instanceof BadRequest) send(res, 400, e.message);
      else send(res, 500, 'internal error');
    });
  });
  // every socket costs memory; the page itself needs a handful
  server.maxConnections = 64;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    eventStreams: () => streams,
    connections: () => new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
