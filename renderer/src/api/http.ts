// Browser mode's UnfoldBridge: each method is a POST to /api/<method> with the arguments as a JSON list;
// events arrive over one Server-Sent Events stream. The token comes from the page's URL (?token=);
// the server also set it as a cookie when it served the page, so a reload without it still works.
import { API_METHODS, TOKEN_HEADER, type ApiResult, type UnfoldBridge, type UnfoldEvent } from '../../../core/api';

export interface HttpBridge extends UnfoldBridge {
  /** resolves once the event stream is open (events sent before that would be lost) */
  ready(): Promise<void>;
}

export function createHttpBridge(token: string | null): HttpBridge {
  const listeners = new Set<(e: UnfoldEvent) => void>();
  let source: EventSource | null = null;
  let opened: Promise<void> | null = null;

  const connect = (): Promise<void> => {
    opened ??= new Promise<void>((resolve) => {
      source = new EventSource(`/api/events${token ? `?token=${encodeURIComponent(token)}` : ''}`);
      source.addEventListener('hello', () => resolve());
      source.onmessage = (m: MessageEvent<string>) => {
        let e: UnfoldEvent;
        try {
          e = JSON.parse(m.data) as UnfoldEvent;
        } catch {
          return;
        }
        for (const l of listeners) l(e);
      };
    });
    return opened;
  };

  const post = async (method: string, args: unknown[]): Promise<ApiResult<unknown>> => {
    // wait for the event stream, but not forever: if it cannot connect, the call itself will say why
    await Promise.race([connect(), new Promise((r) => setTimeout(r, 3000))]);
    let res: Response;
    try {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (token) headers[TOKEN_HEADER] = token;
      res = await fetch(`/api/${method}`, { method: 'POST', headers, body: JSON.stringify(args), credentials: 'same-origin' });
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
