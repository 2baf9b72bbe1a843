// Deterministic page generators for property tests: each kind imitates a kind of memory the
// compressor meets (text, sparse data, pointers, few distinct values, noise).

export const PAGE_KINDS = [
  'random',
  'text',
  'utf16',
  'sparse',
  'pointers',
  'fewValues',
  'partials',
  'smallInts',
  'single',
  'zero',
  'mixed',
] as const;
export type PageKind = (typeof PAGE_KINDS)[number];

/** xorshift32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let s = seed | 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

const WORDS = ['the', 'page', 'kernel', 'segment', 'slot', 'return', 'value', 'if', 'else', 'memory', '{', '}', '0x1000', 'int', 'static'];

export function makePage(kind: PageKind, seed: number, size: number): Uint8Array {
  const r = rng(seed);
  const page = new Uint8Array(size);
  const w = new DataView(page.buffer);
  const words = size >>> 2;
  switch (kind) {
    case 'random':
      for (let i = 0; i < words; i++) w.setUint32(i * 4, r(), true);
      break;
    case 'text': {
      let o = 0;
      while (o < size) {
        const word = WORDS[r() % WORDS.length]!;
        for (let i = 0; i < word.length && o < size; i++) page[o++] = word.charCodeAt(i);
        if (o < size) page[o++] = r() % 9 === 0 ? 10 : 32;
      }
      break;
    }
    case 'utf16': {
      let o = 0;
      while (o + 1 < size) {
        const word = WORDS[r() % WORDS.length]!;
        for (let i = 0; i < word.length && o + 1 < size; i++, o += 2) page[o] = word.charCodeAt(i);
        if (o + 1 < size) {
          page[o] = 32;
          o += 2;
        }
      }
      break;
    }
    case 'sparse': {
      const n = r() % 200;
      for (let i = 0; i < n; i++) w.setUint32((r() % words) * 4, r() % 4 === 0 ? r() % 1024 : r(), true);
      break;
    }
    case 'pointers': {
      const base = 0x7f000000 + (r() & 0xfff000);
      for (let i = 0; i < words; i += 2) {
        const k = r() % 8;
        if (k < 2) continue; // zero pair
        w.setUint32(i * 4, k < 6 ? (base + (r() & 0xfff) * 16) >>> 0 : r(), true);
        w.setUint32(i * 4 + 4, k < 6 ? 0x00007fff : 0, true);
      }
      break;
    }
    case 'fewValues': {
      const n = 1 + (r() % 4);
      const vals = Array.from({ length: n }, () => (r() % 3 === 0 ? r() % 2048 : r()));
      for (let i = 0; i < words; i++) w.setUint32(i * 4, vals[r() % n]!, true);
      break;
    }
    case 'partials': {
      const highs = Array.from({ length: 1 + (r() % 6) }, () => r() & 0xfffffc00);
      for (let i = 0; i < words; i++) w.setUint32(i * 4, (highs[r() % highs.length]! | (r() & 1023)) >>> 0, true);
      break;
    }
    case 'smallInts':
      for (let i = 0; i < words; i++) w.setUint32(i * 4, r() % 5 === 0 ? 1 : r() % 1500, true);
      break;
    case 'single': {
      const v = r() % 3 === 0 ? r() % 1024 : r();
      for (let i = 0; i < words; i++) w.setUint32(i * 4, v, true);
      break;
    }
    case 'zero':
      break;
    case 'mixed': {
      const kinds: PageKind[] = ['text', 'sparse', 'pointers', 'random', 'partials'];
      const cut = (r() % (words - 1) + 1) * 4;
      page.set(makePage(kinds[r() % kinds.length]!, r(), size).subarray(0, cut), 0);
      page.set(makePage(kinds[r() % kinds.length]!, r(), size).subarray(cut), cut);
      break;
    }
  }
  return page;
}
