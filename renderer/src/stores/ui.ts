// Which view is shown, mirrored in the address's hash (#/slots/3/12) so a reload comes back to the
// same view, segment and slot. replaceState, not new history entries: the app has one window and its
// own navigation; the hash only has to survive a reload.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ViewName } from '../../../core/api';

export type Screen = ViewName | 'open';

export interface Route {
  view: string;
  segment?: number;
  slot?: number;
}

const whole = (s: string | undefined): number | undefined => (s !== undefined && /^\d{1,9}$/.test(s) ? Number(s) : undefined);

/** "#/slots/3/12" → { view: 'slots', segment: 3, slot: 12 }; null for anything else */
export function parseRoute(hash: string): Route | null {
  const m = /^#\/([a-z][a-z0-9-]{0,31})(?:\/(\d{1,9}))?(?:\/(\d{1,9}))?$/.exec(hash);
  if (!m) return null;
  const r: Route = { view: m[1]! };
  const segment = whole(m[2]);
  const slot = whole(m[3]);
  if (segment !== undefined) r.segment = segment;
  if (segment !== undefined && slot !== undefined) r.slot = slot;
  return r;
}

export function routeHash(r: Route): string {
  return `#/${r.view}${r.segment !== undefined ? `/${r.segment}${r.slot !== undefined ? `/${r.slot}` : ''}` : ''}`;
}

export const useUi = defineStore('ui', () => {
  const view = ref<Screen>('open');
  /** the single-value table entry a search hit pointed at (shown marked in Single values) */
  const svEntry = ref<number | null>(null);
  /** the views the app has (App.vue registers them), so a stale or typed hash cannot pick a missing one */
  let known: readonly string[] = [];
  const show = (v: Screen) => {
    view.value = v;
  };
  const setKnown = (names: readonly string[]) => {
    known = names;
  };
  /** the route in the address, if it names a view the app has */
  const savedRoute = (): Route | null => {
    const r = typeof location === 'undefined' ? null : parseRoute(location.hash);
    return r && known.includes(r.view) ? r : null;
  };
  const writeRoute = (r: Route) => {
    if (typeof location === 'undefined') return;
    const h = routeHash(r);
    if (location.hash !== h) history.replaceState(history.state, '', `${location.pathname}${location.search}${h}`);
  };
  return { view, svEntry, show, setKnown, savedRoute, writeRoute };
});
