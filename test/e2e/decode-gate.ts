// Shared by the specs that watch the background pass: an init script that sits between the page and its
// event stream and holds back every event of the pass (request ids ending in :decode) until the test
// releases them, so the app sees a pass as slow as the test wants, whatever the host's speed.
import type { Page } from '@playwright/test';

export interface DecodeEvent {
  type: 'progress' | 'done' | 'error';
  requestId: string;
  phase?: string;
  done?: number;
  total?: number;
  etaSeconds?: number | null;
  elapsedMs?: number;
}

/** in the page, before the app loads: holds the background pass's events (request ids ending in :decode) */
export function installDecodeGate(): void {
  type Held = { text: string; emit: (t: string) => void };
  const gate = {
    held: [] as Held[],
    log: [] as unknown[],
    release(count: number): number {
      const out = gate.held.splice(0, count);
      for (const h of out) h.emit(h.text);
      return out.length;
    },
  };
  (window as unknown as { __decodeGate: typeof gate }).__decodeGate = gate;
  const original = window.fetch.bind(window);
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const res = await original(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!/\/api\/events$/.test(url) || !res.body) return res;
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    const enc = new TextEncoder();
    let buf = '';
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const emit = (t: string): void => {
          try {
            controller.enqueue(enc.encode(t));
          } catch {
            // the app closed the stream
          }
        };
        void (async () => {
          for (;;) {
            let r: ReadableStreamReadResult<Uint8Array>;
            try {
              r = await reader.read();
            } catch (e) {
              controller.error(e);
              return;
            }
            if (r.done) {
              if (buf) emit(buf);
              controller.close();
              return;
            }
            buf += dec.decode(r.value, { stream: true });
            let i: number;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const text = buf.slice(0, i + 2);
              buf = buf.slice(i + 2);
              const m = /^data: (.*)$/m.exec(text);
              let ev: { requestId?: unknown } | null = null;
              try {
                ev = m ? (JSON.parse(m[1]!) as { requestId?: unknown }) : null;
              } catch {
                ev = null;
              }
              if (ev && typeof ev.requestId === 'string' && ev.requestId.endsWith(':decode')) {
                gate.log.push(ev);
                gate.held.push({ text, emit });
              } else emit(text);
            }
          }
        })();
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

export const gateLog = (page: Page) => page.evaluate(() => (window as unknown as { __decodeGate: { log: unknown[] } }).__decodeGate.log as DecodeEvent[]);
export const release = (page: Page, n: number) => page.evaluate((k) => (window as unknown as { __decodeGate: { release(k: number): number } }).__decodeGate.release(k), n);

