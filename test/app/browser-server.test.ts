// Browser mode's server: loopback only, the token on every request (403 without it), the Host and
// Origin checks, a strict CSP on every response, no path escapes, and events over SSE.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { request } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiResult } from '../../core/api';
import type { CaseHostLike } from '../../main/case-host';
import type { WorkerArgs, WorkerCall, WorkerCallName, WorkerValue } from '../../main/protocol';
import { createHandlers } from '../../main/handlers';
import { memorySettings } from '../../main/settings';
import { BROWSER_CSP, EventHub, startBrowserServer, type BrowserServer } from '../../main/browser-server';

const TOKEN = 'test-token-0123456789abcdef';
let dir: string;
let server: BrowserServer;
let events: EventHub;
const seen: WorkerCall[] = [];

const host: CaseHostLike = {
  call<M extends WorkerCallName>(method: M, ...args: WorkerArgs<M>): Promise<ApiResult<WorkerValue<M>>> {
    seen.push({ method, args } as WorkerCall);
    return Promise.resolve({ ok: true, value: (method === 'currentCase' ? null : method === 'cancel' ? false : []) as WorkerValue<M> });
  },
};

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(opts: { path: string; method?: string; headers?: Record<string, string>; body?: string; host?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: opts.path,
        method: opts.method ?? 'GET',
        headers: { Host: opts.host ?? `127.0.0.1:${server.port}`, ...opts.headers },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const api = (method: string, args: unknown[], headers: Record<string, string> = { 'x-unfold-token': TOKEN }) =>
  send({ path: `/api/${method}`, method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(args) });

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'unfold-server-'));
  const renderer = path.join(dir, 'renderer');
  mkdirSync(path.join(renderer, 'assets'), { recursive: true });
  writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>Unfold</title>');
  writeFileSync(path.join(renderer, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(dir, 'secret.txt'), 'outside the renderer');
  events = new EventHub();
  const handlers = createHandlers({ host, mode: 'browser', appVersion: 't', dialogs: null, settings: memorySettings() });
  server = await startBrowserServer({ handlers, events, rendererDir: renderer, token: TOKEN });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('browser-mode server', () => {
  it('listens on the loopback address only and prints a URL with its token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`);
  });

  it('makes a random 64-hex-digit token when none is given', async () => {
    const s = await startBrowserServer({
      handlers: createHandlers({ host, mode: 'browser', appVersion: 't', dialogs: null, settings: memorySettings() }),
      events: new EventHub(),
      rendererDir: dir,
    });
    try {
      expect(s.token).toMatch(/^[0-9a-f]{64}$/);
      expect(s.token).not.toBe(TOKEN);
    } finally {
      await s.close();
    }
  });

  it('refuses API calls and the event stream without the right token with 403', async () => {
    for (const p of ['/api/events', '/api/environment']) {
      expect((await send({ path: p })).status).toBe(403);
      expect((await send({ path: p, headers: { 'x-unfold-token': TOKEN.slice(0, -1) } })).status).toBe(403);
    }
    seen.length = 0;
    expect((await api('environment', [], {})).status).toBe(403);
    expect((await api('environment', [], { 'x-unfold-token': 'x' })).status).toBe(403);
    expect(seen).toEqual([]);
  });

  it('takes the token from the x-unfold-token header only: not from the query, not from a cookie', async () => {
    seen.length = 0;
    const viaQuery = await send({ path: `/api/environment?token=${TOKEN}`, method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    expect(viaQuery.status).toBe(403);
    const viaCookie = await api('environment', [], { Cookie: `unfold_token_${server.port}=${TOKEN}; unfold_token=${TOKEN}` });
    expect(viaCookie.status).toBe(403);
    expect((await send({ path: `/api/events?token=${TOKEN}` })).status).toBe(403);
    expect((await send({ path: '/api/events', headers: { Cookie: `unfold_token_${server.port}=${TOKEN}` } })).status).toBe(403);
    expect(seen).toEqual([]);
    expect((await api('environment', [])).status).toBe(200);
  });

  it('never sets a cookie: the page loads (also on reload, without ?token=) and carries no token', async () => {
    for (const p of [`/?token=${TOKEN}`, '/', '/index.html', '/assets/app.js']) {
      const r = await send({ path: p });
      expect(r.status).toBe(200);
      expect(r.headers['set-cookie']).toBeUndefined();
      expect(r.body).not.toContain(TOKEN);
    }
    const js = await send({ path: '/assets/app.js' });
    expect(js.headers['content-type']).toContain('text/javascript');
    expect(js.body).toBe('console.log(1)');
  });

  it('sends the strict CSP and the other security headers on every response, refusals included', async () => {
    const replies = [
      await send({ path: '/api/events' }),
      await send({ path: '/' }),
      await send({ path: `/?token=${TOKEN}` }),
      await send({ path: `/nope.js?token=${TOKEN}` }),
      await api('environment', []),
    ];
    for (const r of replies) {
      expect(r.headers['content-security-policy']).toBe(BROWSER_CSP);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
    }
    expect(BROWSER_CSP).toContain("default-src 'none'");
    expect(BROWSER_CSP).toContain("script-src 'self'");
    expect(BROWSER_CSP).not.toContain('unsafe-inline');
    expect(BROWSER_CSP).not.toContain('unsafe-eval');
    expect(BROWSER_CSP).toContain("frame-ancestors 'none'");
  });

  it('refuses a foreign Host header (DNS rebinding) even with the token', async () => {
    const r = await send({ path: `/?token=${TOKEN}`, host: `evil.example:${server.port}` });
    expect(r.status).toBe(403);
    expect((await send({ path: `/?token=${TOKEN}`, host: `127.0.0.1:1` })).status).toBe(403);
    expect((await send({ path: `/?token=${TOKEN}`, host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('refuses API calls from another origin and non-JSON bodies', async () => {
    expect((await api('environment', [], { 'x-unfold-token': TOKEN, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await api('environment', [], { 'x-unfold-token': TOKEN, Origin: `http://127.0.0.1:${server.port}` })).status).toBe(200);
    const form = await send({ path: '/api/environment', method: 'POST', headers: { 'x-unfold-token': TOKEN, 'Content-Type': 'text/plain' }, body: '[]' });
    expect(form.status).toBe(415);
    const junk = await send({ path: '/api/environment', method: 'POST', headers: { 'x-unfold-token': TOKEN, 'Content-Type': 'application/json' }, body: '{not json' });
    expect(junk.status).toBe(400);
    expect((await send({ path: '/api/environment', headers: { 'x-unfold-token': TOKEN } })).status).toBe(405);
    expect((await api('deleteEverything', [])).status).toBe(404);
  });

  it('answers API calls with ApiResult JSON, and validation errors travel in it', async () => {
    const env = await api('environment', []);
    expect(env.status).toBe(200);
    const v = JSON.parse(env.body) as ApiResult<{ mode: string }>;
    expect(v.ok && v.value.mode).toBe('browser');
    const bad = JSON.parse((await api('getSlots', [1, -5])).body) as ApiResult<unknown>;
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.code).toBe('BAD_ARGUMENT');
    const notList = JSON.parse((await api('getSegments', { 0: 1 } as unknown as unknown[])).body) as ApiResult<unknown>;
    expect(!notList.ok && notList.error.message).toMatch(/must be a list/);
  });

  it('serves nothing outside the renderer folder', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e%2fsecret.txt']) {
      const r = await send({ path: p, headers: { 'x-unfold-token': TOKEN } });
      expect(r.status).toBe(404);
      expect(r.body).not.toContain('outside the renderer');
    }
  });

  it('streams events over SSE', async () => {
    const got = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: '/api/events', headers: { Host: `127.0.0.1:${server.port}`, 'x-unfold-token': TOKEN } },
        (res) => {
          expect(res.headers['content-type']).toContain('text/event-stream');
          expect(res.headers['content-security-policy']).toBe(BROWSER_CSP);
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString('utf8');
            if (text.includes('event: hello') && !text.includes('"type"')) {
              events.emit({ type: 'progress', requestId: 'r-1', phase: 'decode', done: 3, total: 9, elapsedMs: 10 });
            }
            if (text.includes('"type"')) {
              req.destroy();
              resolve(text);
            }
          });
        },
      );
      req.on('error', (e) => ((e as { code?: string }).code === 'ECONNRESET' ? undefined : reject(e)));
      req.end();
    });
    const line = got.split('\n').find((l) => l.startsWith('data: {"type"'))!;
    expect(JSON.parse(line.slice('data: '.length))).toEqual({ type: 'progress', requestId: 'r-1', phase: 'decode', done: 3, total: 9, elapsedMs: 10 });
  });
});
