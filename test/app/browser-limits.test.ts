// Browser mode's limits: an oversized body is answered 413 (not a reset), a malformed % escape or an
// absurd argument list 400 (not 500), event streams are capped in number, and a client that never reads
// its stream is dropped once its unsent bytes pass the cap instead of being buffered without bound.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiResult } from '../../core/api';
import type { CaseHostLike } from '../../main/case-host';
import type { WorkerArgs, WorkerCall, WorkerCallName, WorkerValue } from '../../main/protocol';
import { createHandlers } from '../../main/handlers';
import { memorySettings } from '../../main/settings';
import { EventHub, MAX_BODY, startBrowserServer, type BrowserServer } from '../../main/browser-server';

const TOKEN = 'limits-token-0123456789abcdef';
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
  body: string;
}

/** one request over a raw socket, so nothing is normalized on the way (the path is sent as written);
 * every request says Connection: close, so the server ends the connection after its answer */
function raw(lines: string, body: Buffer | string = ''): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = connect(server.port, '127.0.0.1');
    let text = '';
    sock.on('data', (c) => (text += c.toString('latin1')));
    sock.on('end', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!m) return reject(new Error(`no HTTP status in ${JSON.stringify(text.slice(0, 80))}`));
      resolve({ status: Number(m[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    sock.on('error', reject);
    // no half-close: Node's server ends a connection whose client has stopped sending before it answers
    sock.write(lines.replace(/\n/g, '\r\n') + '\r\n');
    sock.write(body);
  });
}

function post(method: string, body: Buffer | string, extra = ''): Promise<Reply> {
  const len = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  return raw(
    `POST /api/${method} HTTP/1.1\nHost: 127.0.0.1:${server.port}\nx-unfold-token: ${TOKEN}\nContent-Type: application/json\nContent-Length: ${len}\nConnection: close\n${extra}`,
    body,
  );
}

/** an event stream left open; `pause` stops reading it (the socket's receive side fills up) */
function openStream(s: BrowserServer): Promise<{ res: IncomingMessage; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, path: '/api/events', headers: { Host: `127.0.0.1:${s.port}`, 'x-unfold-token': TOKEN } }, (res) =>
      resolve({ res, close: () => req.destroy() }),
    );
    req.on('error', (e) => ((e as { code?: string }).code === 'ECONNRESET' ? undefined : reject(e)));
    req.end();
  });
}

const until = async (what: () => boolean, ms = 20_000, refresh?: () => Promise<unknown>): Promise<void> => {
  const t0 = Date.now();
  while ((await refresh?.(), !what())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'unfold-limits-'));
  mkdirSync(path.join(dir, 'assets'), { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Unfold</title>');
  events = new EventHub();
  const handlers = createHandlers({ host, mode: 'browser', appVersion: 't', dialogs: null, settings: memorySettings() });
  server = await startBrowserServer({ handlers, events, rendererDir: dir, token: TOKEN, maxEventStreams: 3, eventStreamBufferBytes: 256 << 10 });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('browser-mode server limits', () => {
  it('answers a 9 MB body with 413 (declared length and chunked alike), and nothing reaches a handler', async () => {
    seen.length = 0;
    const big = Buffer.alloc(9 << 20, 0x20);
    const declared = await post('environment', big);
    expect(declared.status).toBe(413);
    expect(declared.body).toBe(`request body larger than ${MAX_BODY} bytes`);
    // chunked: no length up front, the limit is found while reading
    const chunks = `${big.length.toString(16)}\r\n`;
    const chunked = await raw(
      `POST /api/environment HTTP/1.1\nHost: 127.0.0.1:${server.port}\nx-unfold-token: ${TOKEN}\nContent-Type: application/json\nTransfer-Encoding: chunked\nConnection: close\n`,
      Buffer.concat([Buffer.from(chunks), big, Buffer.from('\r\n0\r\n\r\n')]),
    );
    expect(chunked.status).toBe(413);
    expect(seen).toEqual([]);
    // a body just under the limit is read (and refused for what it is, not for its size)
    const near = await post('environment', Buffer.alloc(MAX_BODY - 10, 0x20));
    expect(near.status).toBe(400);
    expect(near.body).toBe('the request body is not JSON');
  });

  it('answers malformed % escapes with 400', async () => {
    for (const p of ['/%E0%A4%A', '/assets/%zz.js', '/%', '/%C0%AF']) {
      const r = await raw(`GET ${p} HTTP/1.1\nHost: 127.0.0.1:${server.port}\nConnection: close\n`);
      expect(r.status, p).toBe(400);
      expect(r.body).toBe('the address holds a malformed % escape');
    }
  });

  it('answers a huge argument list with 400 before it is spread over a handler', async () => {
    seen.length = 0;
    const r = await post('getInfo', JSON.stringify(new Array(500_000).fill(1)));
    expect(r.status).toBe(400);
    expect(r.body).toBe('getInfo: 500000 arguments; no method takes more than 8');
    const nine = await post('getInfo', JSON.stringify(new Array(9).fill(1)));
    expect(nine.status).toBe(400);
    expect(seen).toEqual([]);
    // eight is still a call, refused by the handler in an ApiResult
    const eight = await post('getInfo', JSON.stringify(new Array(8).fill(1)));
    expect(eight.status).toBe(200);
    const v = JSON.parse(eight.body) as ApiResult<unknown>;
    expect(!v.ok && v.error.message).toBe('getInfo: expects 1 argument, got 8');
  });

  it('caps the number of event streams (503 beyond), and frees a place when one closes', async () => {
    const open = [await openStream(server), await openStream(server), await openStream(server)];
    expect(open.map((s) => s.res.statusCode)).toEqual([200, 200, 200]);
    expect(server.eventStreams()).toBe(3);
    const fourth = await raw(`GET /api/events HTTP/1.1\nHost: 127.0.0.1:${server.port}\nx-unfold-token: ${TOKEN}\nConnection: close\n`);
    expect(fourth.status).toBe(503);
    expect(fourth.body).toBe('too many event streams: at most 3 at once (close other Unfold tabs)');
    open[0]!.close();
    await until(() => server.eventStreams() === 2);
    const again = await openStream(server);
    expect(again.res.statusCode).toBe(200);
    for (const s of [again, ...open.slice(1)]) s.close();
    await until(() => server.eventStreams() === 0 && events.size === 0);
  });

  it('drops a client that never reads once 256 KiB wait unsent, and keeps serving a reading one', async () => {
    const stalled = await openStream(server);
    stalled.res.pause(); // never read again
    const reader = await openStream(server);
    let got = 0;
    reader.res.on('data', (c: Buffer) => (got += c.length));
    await until(() => events.size === 2);
    // up to ~36 MB of events: far beyond the cap plus what the kernel's socket buffers hold
    const hits = Array.from({ length: 400 }, (_, i) => ({ segment: i, slot: 1, offset: 2, match: 'ab'.repeat(100), pattern: 'x', context: 'cd'.repeat(100) }));
    let sent = 0;
    for (let i = 0; i < 200 && server.eventStreams() === 2; i++, sent++) {
      events.emit({ type: 'hits', requestId: 'r-1', hits: hits as never });
      await new Promise((r) => setImmediate(r));
    }
    await until(() => server.eventStreams() === 1 && events.size === 1);
    // dropped after a bounded number of events (each ~180 KB), not after all of them
    expect(sent).toBeLessThan(200);
    stalled.close();
    // the reading client is still there and still receives
    const before = got;
    events.emit({ type: 'done', requestId: 'r-2', elapsedMs: 1 } as never);
    await until(() => got > before);
    reader.close();
    await until(() => server.eventStreams() === 0);
  });

  it('holds at most 64 connections at once: the next one is closed unanswered until one ends', async () => {
    let connections = -1;
    const idle = await Promise.all(
      Array.from({ length: 64 }, () => new Promise<Socket>((resolve, reject) => {
        const sock = connect(server.port, '127.0.0.1', () => resolve(sock));
        sock.on('error', reject);
      })),
    );
    await new Promise((r) => setTimeout(r, 100));
    const refused = await raw(`GET / HTTP/1.1\nHost: 127.0.0.1:${server.port}\nConnection: close\n`).then(
      (r) => `answered ${r.status}`,
      (e: Error) => e.message,
    );
    expect(refused).toMatch(/^no HTTP status in ""$|ECONNRESET|EPIPE/);
    expect(await server.connections()).toBe(64);
    idle.pop()!.destroy();
    await until(() => connections === 63, 5000, async () => (connections = await server.connections()));
    expect((await raw(`GET / HTTP/1.1\nHost: 127.0.0.1:${server.port}\nConnection: close\n`)).status).toBe(200);
    for (const s of idle) s.destroy();
  });
});
