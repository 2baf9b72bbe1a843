// Browser mode's token on the page side. npm start prints a URL with ?token=; on load the token is kept
// in sessionStorage (this tab and this origin only: other local ports cannot read it, unlike a cookie)
// and taken out of the address bar, so it is not left in the history, in bookmarks or on screen. A
// reload finds it in sessionStorage.

export const TOKEN_KEY = 'unfold.token';

export interface TokenPlace {
  location: { pathname: string; search: string; hash: string };
  history: { replaceState(data: unknown, unused: string, url?: string): void };
  storage: { getItem(key: string): string | null; setItem(key: string, value: string): void } | null;
}

/** the token of this page (from the address, else from sessionStorage), removing it from the address */
export function takeToken(place: TokenPlace): string | null {
  const params = new URLSearchParams(place.location.search);
  const fromUrl = params.get('token');
  if (fromUrl === null) return place.storage?.getItem(TOKEN_KEY) ?? null;
  try {
    place.storage?.setItem(TOKEN_KEY, fromUrl);
  } catch {
    // storage refused (private mode, quota): the token still works until the page is reloaded
  }
  params.delete('token');
  const rest = params.toString();
  place.history.replaceState(null, '', `${place.location.pathname}${rest ? `?${rest}` : ''}${place.location.hash}`);
  return fromUrl;
}

/** the browser's own places; sessionStorage may throw when storage is disabled */
export function browserTokenPlace(): TokenPlace {
  let storage: Storage | null = null;
  try {
    storage = window.sessionStorage;
  } catch {
    storage = null;
  }
  return { location: window.location, history: window.history, storage };
}
