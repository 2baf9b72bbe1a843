// The app's strings pass with a "Containing" filter (main/strings-narrowed.ts) gives exactly core's list,
// in core's order, for filters of every kind: common and rare text, any case, each encoding alone, a
// filter nothing holds, one outside printable ASCII (core's pass runs), and a filter that reaches the
// search's hit cap (core's pass runs). The narrowed path is checked to have read only some pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoCase } from '../../core/demo';
import { openCase, type Case } from '../../core/case';
import type { StringHit } from '../../core/search/types';
import { canNarrow, stringsNarrowed } from '../../main/strings-narrowed';

let c: Case;
let all: StringHit[] = [];
beforeAll(async () => {
  const demo = await ensureDemoCase();
  c = await openCase(demo.imagePath, { symbols: demo.symbolsPath, threads: 0 });
  await c.strings(4, { onString: (s) => all.push(s) });
}, 120_000);
afterAll(async () => {
  await c?.close();
});

async function coreList(filter: string, ascii = true, utf16 = true, maxStrings?: number): Promise<StringHit[]> {
  const out: StringHit[] = [];
  await c.strings(4, { filter, ascii, utf16, ...(maxStrings ? { maxStrings } : {}), onString: (s) => out.push(s) });
  return out;
}

/** the narrowed pass, counting the pages it read and whether it fell back to core's pass */
async function narrowed(filter: string, o: { ascii?: boolean; utf16?: boolean; maxStrings?: number; hitCap?: number } = {}) {
  const out: StringHit[] = [];
  let pagesRead = 0;
  let fellBack = false;
  const spy = {
    search: c.search.bind(c),
    page: (seg: number, slot: number) => {
      pagesRead++;
      return c.page(seg, slot);
    },
    strings: (...a: Parameters<Case['strings']>) => {
      fellBack = true;
      return c.strings(...a);
    },
  };
  const r = await stringsNarrowed(spy, 4, { filter, ascii: o.ascii ?? true, utf16: o.utf16 ?? true, ...o, onString: (s) => out.push(s) });
  return { out, r, pagesRead, fellBack };
}

describe('strings with a filter, narrowed by a search', () => {
  it('the demo case has strings to filter, in both encodings', () => {
    expect(all.length).toBeGreaterThan(100);
    expect(all.some((s) => s.encoding === 'utf16le')).toBe(true);
  });

  it('gives core’s exact list for common and rare filters, any case, reading only the pages that hold them', async () => {
    const probes = new Set<string>(['zz-nothing-holds-this-qq', 'UNFOLD', 'unfold', 'e ']);
    // a rare one and a common one taken from the strings themselves, so the test does not rely on demo texts
    const words = all.map((s) => s.text.match(/[A-Za-z]{5,}/)?.[0]).filter((w): w is string => !!w);
    probes.add(words[0]!.toUpperCase());
    probes.add(words[Math.floor(words.length / 2)]!.slice(1, 4));
    const pagesWithStrings = new Set(all.map((s) => `${s.segment}:${s.slot}`)).size;
    for (const f of probes) {
      const want = await coreList(f);
      const got = await narrowed(f);
      expect(got.fellBack, f).toBe(false);
      expect(got.out, f).toEqual(want);
      expect(got.r.strings, f).toBe(want.length);
      expect(got.r.cancelled || got.r.limited, f).toBe(false);
      // the pages read are those that hold the text, never more than hold any string at all
      expect(got.pagesRead, f).toBeLessThanOrEqual(pagesWithStrings);
      expect(got.pagesRead, f).toBeGreaterThanOrEqual(new Set(want.map((s) => `${s.segment}:${s.slot}`)).size);
    }
    expect((await narrowed('zz-nothing-holds-this-qq')).pagesRead).toBe(0);
  });

  it('keeps each encoding alone as core does', async () => {
    const w = all.find((s) => s.encoding === 'utf16le' && /[A-Za-z]{4}/.test(s.text))!.text.match(/[A-Za-z]{4}/)![0];
    for (const [ascii, utf16] of [
      [true, false],
      [false, true],
    ] as const) {
      const want = await coreList(w, ascii, utf16);
      const got = await narrowed(w, { ascii, utf16 });
      expect(got.fellBack).toBe(false);
      expect(got.out).toEqual(want);
    }
    expect((await coreList(w, false, true)).length).toBeGreaterThan(0);
  });

  it('stops at the list limit where core does', async () => {
    const want = await coreList('e', true, true, 5);
    const got = await narrowed('e', { maxStrings: 5 });
    expect(want).toHaveLength(5);
    expect(got.out).toEqual(want);
    expect(got.r.limited).toBe(true);
  });

  it('folds the filter as core does; runs core’s pass outside printable ASCII and past the hit cap', async () => {
    // U+212A KELVIN SIGN lower-cases to "k", as core's filter compares: narrowed by "k", the same list
    const kelvin = await narrowed('\u212a');
    expect(kelvin.fellBack).toBe(false);
    expect(kelvin.out).toEqual(await coreList('\u212a'));
    expect(kelvin.out.length).toBeGreaterThan(0);
    // é stays outside printable ASCII: no string can hold it, and core's pass says so
    expect(canNarrow('é')).toBe(false);
    const accent = await narrowed('é');
    expect(accent.fellBack).toBe(true);
    expect(accent.out).toEqual([]);
    const capped = await narrowed('e', { hitCap: 3 });
    expect(capped.fellBack).toBe(true);
    expect(capped.out).toEqual(await coreList('e'));
  });
});
