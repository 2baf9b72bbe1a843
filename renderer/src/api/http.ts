// Browser mode's UnfoldBridge: each method is a POST to /api/<method> with the arguments as a JSON list;
// events arrive over one Server-Sent Events stream, read with fetch() so that it too carries the token
// in the x-unfold-token header (EventSource cannot send headers, and the server accepts the token
// nowhere else: no cookie, no query string). If the stream ends (server restarted, or it dropped us for
// not reading), it is opened again after a pause; a 403 is final.
import { API_METHODS, TOKEN_HEADER, type ApiResult, type UnfoldBridge, type UnfoldEvent } from '../../../core/api';
import { SseParser } from './sse';

export interface HttpBridge extends UnfoldBridge {
  /** resolves once the event stream is open (events sent before that would be lost) */
  ready(): Promise<void>;
}

export function createHttpBridge(token: string | null, fetcher: typeof fetch = (...a) => fetch(...a)): HttpBridge {
  const listeners = new Set<(e: UnfoldEvent) => void>();
  let opened: Promise<void> | null = null;
  const headers = (): Record<string, string> => (token ? { [TOKEN_HEADER]: token } : {});

  const deliver = (data: string): void => {
    let e: UnfoldEvent;
    try {
      e = JSON.parse(data) as UnfoldEvent;
    } catch {
      return;
    }
    for (const l of listeners) l(e);
  };

  /** one connection of the stream; resolves `hello` when the server greets, returns when it ends */
  const stream = async (hello: () => void): Promise<'ended' | 'refused'> => {
    let res: Response;
    try {
      res = await fetcher('/api/events', { headers: { ...headers(), Accept: 'text/event-stream' }, cache: 'no-store', credentials: 'omit' });
    } catch {
      return 'ended';
    }
    if (res.status === 403) return 'refused';
    if (!res.ok || !res.body) return 'ended';
    const parser = new SseParser((m) => (m.event === 'hello' ? hello() : m.event === 'message' ? deliver(m.data) : undefined));
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'ended';
        parser.push(value);
      }
    } catch {
      return 'ended';
    }
  };

  const connect = (): Promise<void> => {
    opened ??= new Promise<void>((resolve) => {
      void (async () => {
        let pause = 500;
        for (;;) {
          const r = await stream(() => {
            pause = 500;
            resolve();
          });
          if (r === 'refused') {
            resolve(); // nothing to wait for: the calls themselves will say why (403)
            return;
          }
          await new Promise((t) => setTimeout(t, pause));
          pause = Math.min(pause * 2, 10_000);
        }
      })();
    });
    return opened;
  };

  const post = async (method: string, args: unknown[]): Promise<ApiResult<unknown>> => {
    // wait for the event stream, but not forever: if it cannot connect, the call itself will say why
    await Promise.race([connect(), new Promise((r) => setTimeout(r, 3000))]);
    let res: Response;
    try {
      res = await fetcher(`/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers() },
        body: JSON.stringify(args),
        credentials: 'omit',
      });
    } catch (e) {
      return { ok: false, error: { code: 'DISCONNECTED', message: `no answer from the Unfold server (${e instanceof Error ? e.message : String(e)})` } };
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      const code = res.status === 403 ? 'FORBIDDEN' : 'BAD_ARGUMENT';
      return { ok: false, error: { code, message: `${method}: the server answered ${res.status}: ${text}` } };
    }
    return (await res.json()) as ApiResult<unknown>;
  };

  const bridge: Record<string, unknown> = {};
  for (const m of API_METHODS) bridge[m] = (...args: unknown[]) => post(m, args);
  bridge.onEvent = (l: (e: UnfoldEvent) => void) => {
    listeners.add(l);
    void connect();
    return () => listeners.delete(l);
  };
  bridge.ready = connect;
  return bridge as unknown as HttpBridge;
}
