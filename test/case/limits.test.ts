// The façade's search and strings passes stop at a limit and say so, filter strings by encoding and
// text, and tell a cancel from a limit: the app and the CLI get the same behaviour from core.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase, type Case } from '../../core/case';
import { ensureDemoCase } from '../../core/demo';
import { DEMO_SECRET } from '../../core/synth/scenarios';
import type { SearchHit, StringHit } from '../../core/search/types';

let c: Case;
beforeAll(async () => {
  const demo = await ensureDemoCase();
  c = await openCase(demo.imagePath, { symbols: demo.symbolsPath, threads: 0 });
});
afterAll(async () => c?.close());

const query = { strings: [DEMO_SECRET], utf16: true, ascii: true };

describe('Case.search', () => {
  it('reports every hit it counts; single-value table hits are counted apart', async () => {
    const seen: SearchHit[] = [];
    const r = await c.search(query, { onHit: (h) => seen.push(h) });
    expect(r.hits).toBe(seen.length);
    expect(r.hits).toBeGreaterThan(3);
    expect(r.singleValueHits).toBe(seen.filter((h) => h.segment === -1).length);
    expect(r).toMatchObject({ cancelled: false, limited: false });
  });

  it('stops at maxHits with limited, not cancelled, and delivers exactly that many', async () => {
    const all: SearchHit[] = [];
    await c.search(query, { onHit: (h) => all.push(h) });
    const seen: SearchHit[] = [];
    const r = await c.search(query, { maxHits: 3, onHit: (h) => seen.push(h) });
    expect(r).toMatchObject({ hits: 3, limited: true, cancelled: false });
    expect(seen).toEqual(all.slice(0, 3));
  });

  it('a cancel is cancelled, not limited', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await c.search(query, { signal: ac.signal, maxHits: 3 });
    expect(r).toMatchObject({ hits: 0, cancelled: true, limited: false });
  });
});

describe('Case.strings', () => {
  it('keeps only the chosen encoding and strings containing the filter, case-insensitively', async () => {
    const everything: StringHit[] = [];
    const all = await c.strings(6, { onString: (s) => everything.push(s) });
    expect(all.strings).toBe(everything.length);
    expect(all.scanned).toBe(everything.length);
    const kept: StringHit[] = [];
    const r = await c.strings(6, { ascii: false, utf16: true, filter: DEMO_SECRET.toLowerCase(), onString: (s) => kept.push(s) });
    const expected = everything.filter((s) => s.encoding === 'utf16le' && s.text.toLowerCase().includes(DEMO_SECRET.toLowerCase()));
    expect(expected.length).toBeGreaterThan(0);
    expect(kept).toEqual(expected);
    expect(r).toMatchObject({ strings: expected.length, scanned: everything.length, pagesScanned: all.pagesScanned, cancelled: false, limited: false });
  });

  it('stops at maxStrings and says so', async () => {
    const kept: StringHit[] = [];
    const r = await c.strings(6, { maxStrings: 2, onString: (s) => kept.push(s) });
    expect(kept).toHaveLength(2);
    expect(r).toMatchObject({ strings: 2, limited: true, cancelled: false });
  });
});
