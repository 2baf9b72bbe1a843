// Browser mode's page side: the token is taken from the address once, kept for the tab in
// sessionStorage and removed from the address bar; every request (the event stream included) carries it
// in the x-unfold-token header, never in a URL or a cookie; the event stream is parsed from a fetch body.
import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from '../../renderer/src/api/sse';
import { takeToken, TOKEN_KEY, type TokenPlace } from '../../renderer/src/api/token';
import { createHttpBridge } from '../../renderer/src/api/http';
import type { UnfoldEvent } from '../../core/api';

function place(url: string, stored: Record<string, string> = {}): TokenPlace & { replaced: string[]; stored: Record<string, string> } {
  const u = new URL(url);
  const replaced: string[] = [];
  return {
    location: { pathname: u.pathname, search: u.search, hash: u.hash },
    history: { replaceState: (_d, _u, next) => replaced.push(String(next)) },
    storage: { getItem: (k) => stored[k] ?? null, setItem: (k, v) => void (stored[k] = v) },
    replaced,
    stored,
  };
}

describe('token on the page', () => {
  it('takes ?token= out of the address, keeping the rest, and keeps it for the tab', () => {
    const p = place('http://127.0.0.1:5000/?view=search&token=abc123def456ghi789#hex');
    expect(takeToken(p)).toBe('abc123def456ghi789');
    expect(p.replaced).toEqual(['/?view=search#hex']);
    expect(p.stored).toEqual({ [TOKEN_KEY]: 'abc123def456ghi789' });
    const only = place('http://127.0.0.1:5000/?token=t0k3n-t0k3n-t0k3n');
    expect(takeToken(only)).toBe('t0k3n-t0k3n-t0k3n');
    expect(only.replaced).toEqual(['/']);
  });

  it('after a reload (no ?token=) finds it in sessionStorage and leaves the address alone', () => {
    const p = place('http://127.0.0.1:5000/', { [TOKEN_KEY]: 'kept-token-0123456789' });
    expect(takeToken(p)).toBe('kept-token-0123456789');
    expect(p.replaced).toEqual([]);
    expect(takeToken(place('http://127.0.0.1:5000/'))).toBeNull();
  });
});

describe('SSE parser', () => {
  it('splits events across arbitrary chunk boundaries, CRLF and LF alike, skipping comments', () => {
    const text = 'event: hello\ndata: {}\n\n: keep-alive\n\ndata: {"a":1}\r\n\r\ndata: line1\ndata: line2\n\n';
    for (const size of [1, 2, 3, 7, text.length]) {
      const got: SseMessage[] = [];
      const p = new SseParser((m) => got.push(m));
      for (let i = 0; i < text.length; i += size) p.push(text.slice(i, i + size));
      expect(got, `chunks of ${size}`).toEqual([
        { event: 'hello', data: '{}' },
        { event: 'message', data: '{"a":1}' },
        { event: 'message', data: 'line1\nline2' },
      ]);
    }
  });
});

describe('HTTP bridge', () => {
  it('sends the token as a header on the event stream and on calls, never in the URL, never with cookies', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const event: UnfoldEvent = { type: 'progress', requestId: 'r-1', phase: 'decode', done: 1, total: 2, elapsedMs: 3 };
    let push: ((s: string) => void) | null = null;
    const fetcher = (async (url: string, init: RequestInit) => {
      seen.push({ url, init });
      if (url === '/api/events') {
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            push = (s) => c.enqueue(new TextEncoder().encode(s));
            push('event: hello\ndata: {}\n\n');
          },
        });
        return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
      }
      return new Response(JSON.stringify({ ok: true, value: 'pong' }), { status: 200 });
    }) as unknown as typeof fetch;
    const bridge = createHttpBridge('secret-token-123456', fetcher);
    const got: UnfoldEvent[] = [];
    bridge.onEvent((e) => got.push(e));
    await bridge.ready();
    expect(await bridge.getRecentSymbols()).toEqual({ ok: true, value: 'pong' });
    push!(`data: ${JSON.stringify(event)}\n\n`);
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual([event]);
    expect(seen.map((s) => s.url)).toEqual(['/api/events', '/api/getRecentSymbols']);
    for (const s of seen) {
      expect((s.init.headers as Record<string, string>)['x-unfold-token']).toBe('secret-token-123456');
      expect(s.init.credentials).toBe('omit');
      expect(s.url).not.toContain('token');
    }
  });

  it('a 403 on the event stream is final, and calls report FORBIDDEN', async () => {
    let streams = 0;
    const fetcher = (async (url: string) => {
      if (url === '/api/events') {
        streams++;
        return new Response('forbidden', { status: 403 });
      }
      return new Response('forbidden: this Unfold server needs its token', { status: 403 });
    }) as unknown as typeof fetch;
    const bridge = createHttpBridge(null, fetcher);
    const r = await bridge.environment();
    expect(r).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'environment: the server answered 403: forbidden: this Unfold server needs its token' } });
    await new Promise((r) => setTimeout(r, 700));
    expect(streams).toBe(1);
  }, 10_000);
});
