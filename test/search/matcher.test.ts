import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import type { SlotRecord } from '../../core/darwin/types';
import { compileMatcher, hitsFor, matchValue, singleValuePage } from '../../core/search/matcher';
import { QueryError, queryKey, validateQuery, type SearchQuery } from '../../core/search/query';
import { loadYaraRules, compileYara } from '../../core/search/yara';

// ── synthetic pages with planted evidence ──────────────────────────────────────────────────────────
// Filler 0xcc is neither printable nor a pattern byte, so every hit below is one we planted.
const PAGE = 4096;
const blank = (): Buffer => Buffer.alloc(PAGE, 0xcc);
const put = (p: Buffer, at: number, bytes: Buffer | number[] | string, enc: BufferEncoding = 'latin1'): void => {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, enc) : Buffer.from(bytes);
  b.copy(p, at);
};

const A = blank();
put(A, 100, 'secret');
put(A, 300, 'SeCrEt');
put(A, 1000, 'secret', 'utf16le');
put(A, 2000, [0x4d, 0x5a, 0x90, 0x00]);
put(A, 3000, [0x4d, 0x5a, 0x00, 0x00]);
put(A, 3500, 'user@example.com');
put(A, 4092, 'secr'); // continues as "et" at the start of B: not a match, pages are not contiguous

const B = blank();
put(B, 0, 'et');
put(B, 10, 'SECRET', 'utf16le');
put(B, 4093, [0x4d, 0x5a, 0x11]); // "4d 5a ?? 00" would need C's first byte: not a match

const C = blank();
put(C, 0, [0x00]);
put(C, 500, 'aaaa');
put(C, 4090, 'secret'); // ends exactly at the page end: a match

const rec = (segment: number, slot: number, kind: SlotRecord['kind'], state: string): SlotRecord => ({ segment, slot, kind, state, offset: 0, compressedSize: 100 });
const PAGES: { record: SlotRecord; page: Buffer }[] = [
  { record: rec(1, 0, 'wkdm', 'C_ON_AGE_Q'), page: A },
  { record: rec(1, 1, 'lz4', 'C_ON_SWAPPEDIN_Q'), page: B },
  { record: rec(2, 7, 'raw', 'C_ON_SWAPOUT_Q'), page: C },
];

type Row = [segment: number, slot: number, offset: number, length: number, pattern: string];
function search(q: SearchQuery): Row[] {
  const m = compileMatcher(q);
  const rows: Row[] = [];
  for (const { record, page } of PAGES) m.scanPage(page, (o, l, p) => rows.push([record.segment, record.slot, o, l, p]));
  return rows;
}

describe('planted pages', () => {
  it('really do hold "secret" across the A|B boundary when glued together (so the next tests mean something)', () => {
    expect(Buffer.concat([A, B]).indexOf('secret', 4000)).toBe(4092);
    expect(Buffer.concat([B, C]).indexOf(Buffer.from([0x4d, 0x5a, 0x11, 0x00]))).toBe(4093);
  });
});

describe('literals', () => {
  it('ASCII, case-sensitive by default; a string cut across two pages does not match', () => {
    expect(search({ strings: ['secret'] })).toEqual([
      [1, 0, 100, 6, 'string:"secret"'],
      [2, 7, 4090, 6, 'string:"secret"'],
    ]);
  });

  it('ignoreCase folds ASCII letters', () => {
    expect(search({ strings: ['SECRET'], ignoreCase: true })).toEqual([
      [1, 0, 100, 6, 'string:"SECRET"'],
      [1, 0, 300, 6, 'string:"SECRET"'],
      [2, 7, 4090, 6, 'string:"SECRET"'],
    ]);
  });

  it('utf16 alone searches UTF-16LE only', () => {
    expect(search({ strings: ['secret'], utf16: true })).toEqual([[1, 0, 1000, 12, 'utf16:"secret"']]);
  });

  it('utf16 + ascii searches both, case-insensitive when asked', () => {
    expect(search({ strings: ['secret'], utf16: true, ascii: true, ignoreCase: true })).toEqual([
      [1, 0, 100, 6, 'string:"secret"'],
      [1, 0, 300, 6, 'string:"secret"'],
      [1, 0, 1000, 12, 'utf16:"secret"'],
      [1, 1, 10, 12, 'utf16:"secret"'],
      [2, 7, 4090, 6, 'string:"secret"'],
    ]);
  });

  it('reports overlapping occurrences', () => {
    expect(search({ strings: ['aa'] })).toEqual([
      [2, 7, 500, 2, 'string:"aa"'],
      [2, 7, 501, 2, 'string:"aa"'],
      [2, 7, 502, 2, 'string:"aa"'],
    ]);
  });

  it('many literals (one multi-pattern pass) give the same hits as few', () => {
    const words = ['secret', 'aa', 'user@', 'nothing-here', 'SECRET'];
    const q: SearchQuery = { strings: words, utf16: true, ascii: true };
    const each = words.flatMap((w) => search({ ...q, strings: [w] }));
    const key = (r: Row): string => `${r[0]}.${r[1]}.${String(r[2]).padStart(5, '0')}.${r[4]}`;
    expect(search(q)).toEqual([...each].sort((a, b) => (key(a) < key(b) ? -1 : 1)));
    expect(search(q)).toHaveLength(8);
  });

  it('UTF-8 literals are searched as their UTF-8 bytes', () => {
    const p = blank();
    put(p, 40, 'Grüße', 'utf8');
    const m = compileMatcher({ strings: ['Grüße'] });
    const got: number[] = [];
    m.scanPage(p, (o, l) => got.push(o, l));
    expect(got).toEqual([40, 7]);
  });
});

describe('hex patterns', () => {
  it('match with wildcards, not across a page end', () => {
    expect(search({ hex: ['4d 5a ?? 00'] })).toEqual([
      [1, 0, 2000, 4, 'hex:4d 5a ?? 00'],
      [1, 0, 3000, 4, 'hex:4d 5a ?? 00'],
    ]);
  });

  it('accept compact spelling and leading wildcards, and label them canonically', () => {
    expect(search({ hex: ['??5A9000'] })).toEqual([[1, 0, 2000, 4, 'hex:?? 5a 90 00']]);
    // a leading wildcard cannot reach before the page start
    const p = blank();
    put(p, 0, [0x5a, 0x90]);
    expect(compileMatcher({ hex: ['?? 5a 90'] }).scanPage(p, () => undefined)).toBe(0);
  });
});

describe('regexes', () => {
  it('run over the page bytes as latin1', () => {
    expect(search({ regexes: ['[a-z]+@[a-z]+\\.com'] })).toEqual([[1, 0, 3500, 16, 'regex:/[a-z]+@[a-z]+\\.com/']]);
  });

  it('honour ignoreCase and skip empty matches', () => {
    expect(search({ regexes: ['s(?=ecret)|q*'], ignoreCase: true })).toEqual([
      [1, 0, 100, 1, 'regex:/s(?=ecret)|q*/'],
      [1, 0, 300, 1, 'regex:/s(?=ecret)|q*/'],
      [2, 7, 4090, 1, 'regex:/s(?=ecret)|q*/'],
    ]);
  });

  it('see bytes above 0x7f as single characters', () => {
    expect(search({ regexes: ['MZ\\x90\\x00'] })).toEqual([[1, 0, 2000, 4, 'regex:/MZ\\x90\\x00/']]);
  });
});

describe('YARA', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'unfold-yara-'));
    writeFileSync(path.join(dir, 'one.yar'), 'rule mz_header { strings: $mz = { 4d 5a ?? 00 } condition: $mz }\nrule secret_wide { strings: $s = "secret" wide condition: $s }\n');
    mkdirSync(path.join(dir, 'folder', 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'folder', 'a.yar'), 'rule mz_header { strings: $mz = { 4d 5a ?? 00 } condition: $mz }');
    writeFileSync(path.join(dir, 'folder', 'sub', 'b.yara'), 'rule secret_ascii { strings: $s = "secret" ascii nocase condition: $s }');
    writeFileSync(path.join(dir, 'folder', 'notes.txt'), 'this is not a rule {');
    writeFileSync(path.join(dir, 'folder', '.hidden.yar'), 'rule broken {');
    mkdirSync(path.join(dir, 'dup'));
    writeFileSync(path.join(dir, 'dup', 'one.yar'), 'rule same { strings: $a = "secret" condition: $a }');
    writeFileSync(path.join(dir, 'dup', 'two.yar'), 'rule same { strings: $a = { 4d 5a ?? 00 } condition: $a }');
    writeFileSync(path.join(dir, 'bad.yar'), 'rule ok { condition: true }\nrule bad { condition: $nope }\n');
    mkdirSync(path.join(dir, 'empty'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rules from a file', async () => {
    const yara = await loadYaraRules(path.join(dir, 'one.yar'));
    expect(yara.map((y) => path.basename(y.origin))).toEqual(['one.yar']);
    expect(search({ yara })).toEqual([
      [1, 0, 1000, 12, 'yara:secret_wide'],
      [1, 0, 2000, 4, 'yara:mz_header'],
      [1, 0, 3000, 4, 'yara:mz_header'],
    ]);
  });

  it('rules from a folder (recursive, *.yar/*.yara only, hidden files skipped)', async () => {
    const yara = await loadYaraRules(path.join(dir, 'folder'));
    expect(yara.map((y) => path.relative(dir, y.origin))).toEqual([path.join('folder', 'a.yar'), path.join('folder', 'sub', 'b.yara')]);
    expect(compileYara(yara).ruleSets).toBe(1);
    expect(search({ yara })).toEqual([
      [1, 0, 100, 6, 'yara:secret_ascii'],
      [1, 0, 300, 6, 'yara:secret_ascii'],
      [1, 0, 2000, 4, 'yara:mz_header'],
      [1, 0, 3000, 4, 'yara:mz_header'],
      [2, 7, 4090, 6, 'yara:secret_ascii'],
    ]);
  });

  it('files whose rule names clash are scanned as separate rule sets', async () => {
    const yara = await loadYaraRules(path.join(dir, 'dup'));
    expect(compileYara(yara).ruleSets).toBe(2);
    expect(search({ yara })).toEqual([
      [1, 0, 100, 6, 'yara:same'],
      [1, 0, 2000, 4, 'yara:same'],
      [1, 0, 3000, 4, 'yara:same'],
      [2, 7, 4090, 6, 'yara:same'],
    ]);
  });

  it('a rule without strings that matches is one hit at offset 0, length 0', () => {
    expect(compileMatcher({ yara: [{ source: 'rule page4k { condition: filesize == 4096 }', origin: 'inline' }] }).scanPage(A, () => undefined)).toBe(1);
    const got: Row[] = [];
    compileMatcher({ yara: [{ source: 'rule page4k { condition: filesize == 4096 }', origin: 'inline' }] }).scanPage(A, (o, l, p) => got.push([0, 0, o, l, p]));
    expect(got).toEqual([[0, 0, 0, 0, 'yara:page4k']]);
  });

  it('a bad rule names its file and line', async () => {
    const yara = await loadYaraRules(path.join(dir, 'bad.yar'));
    let err: unknown;
    try {
      compileMatcher({ yara });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QueryError);
    const q = err as QueryError;
    expect(q.code).toBe('BAD_QUERY');
    expect(q.message).toContain(`bad yara pattern ${path.join(dir, 'bad.yar')}`);
    expect(q.message).toContain(`${path.join(dir, 'bad.yar')}:2:`);
    expect(q.message).toContain('$nope');
  });

  it('missing paths and folders without rules are clear errors', async () => {
    await expect(loadYaraRules(path.join(dir, 'nope.yar'))).rejects.toThrow(/bad yara pattern .*nope\.yar: cannot read rules: ENOENT/);
    await expect(loadYaraRules(path.join(dir, 'empty'))).rejects.toThrow(/holds no \.yar or \.yara files/);
  });
});

describe('one pass, all kinds', () => {
  it('delivers hits in page order, ties in query order', () => {
    const q: SearchQuery = {
      strings: ['secret'],
      regexes: ['sec', '[a-z]+@[a-z]+\\.com'],
      hex: ['4d 5a ?? 00'],
      yara: [{ source: 'rule mz { strings: $mz = "MZ" condition: $mz }', origin: 'inline' }],
      utf16: true,
      ascii: true,
    };
    expect(search(q)).toEqual([
      [1, 0, 100, 6, 'string:"secret"'],
      [1, 0, 100, 3, 'regex:/sec/'],
      [1, 0, 1000, 12, 'utf16:"secret"'],
      [1, 0, 2000, 4, 'hex:4d 5a ?? 00'],
      [1, 0, 2000, 2, 'yara:mz'],
      [1, 0, 3000, 4, 'hex:4d 5a ?? 00'],
      [1, 0, 3000, 2, 'yara:mz'],
      [1, 0, 3500, 16, 'regex:/[a-z]+@[a-z]+\\.com/'],
      [1, 0, 4092, 3, 'regex:/sec/'],
      [1, 1, 4093, 2, 'yara:mz'],
      [2, 7, 4090, 6, 'string:"secret"'],
      [2, 7, 4090, 3, 'regex:/sec/'],
    ]);
  });

  it('hitsFor makes full records with context clipped at the page edges', () => {
    const m = compileMatcher({ strings: ['secret'], hex: ['4d 5a ?? 00'], context: 4 });
    expect(hitsFor(m, PAGES[0]!.record, A)).toEqual([
      { segment: 1, slot: 0, offset: 100, length: 6, match: '736563726574', pattern: 'string:"secret"', kind: 'wkdm', state: 'C_ON_AGE_Q', before: 'cccccccc', after: 'cccccccc' },
      { segment: 1, slot: 0, offset: 2000, length: 4, match: '4d5a9000', pattern: 'hex:4d 5a ?? 00', kind: 'wkdm', state: 'C_ON_AGE_Q', before: 'cccccccc', after: 'cccccccc' },
      { segment: 1, slot: 0, offset: 3000, length: 4, match: '4d5a0000', pattern: 'hex:4d 5a ?? 00', kind: 'wkdm', state: 'C_ON_AGE_Q', before: 'cccccccc', after: 'cccccccc' },
    ]);
    const atEnd = hitsFor(compileMatcher({ strings: ['secret'] }), PAGES[2]!.record, C);
    expect(atEnd).toHaveLength(1);
    expect(atEnd[0]).toMatchObject({ offset: 4090, before: 'cc'.repeat(16), after: '', kind: 'raw', state: 'C_ON_SWAPOUT_Q' });
  });

  it('works inside a worker thread with only posted data', async () => {
    const bootstrap = pathToFileURL(path.resolve(fileURLToPath(import.meta.url), '../../../core/work/bootstrap.mjs'));
    const entry = pathToFileURL(path.resolve(fileURLToPath(import.meta.url), '../scan-worker.ts')).href;
    const query: SearchQuery = { strings: ['secret'], hex: ['4d 5a ?? 00'], yara: [{ source: 'rule w { strings: $s = "secret" wide condition: $s }', origin: 'inline' }] };
    const w = new Worker(bootstrap, { workerData: { __entry: entry, query, pages: [A, C] } });
    const hits = await new Promise<unknown>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
    expect(hits).toEqual([
      [0, 100, 6, 'string:"secret"'],
      [0, 1000, 12, 'yara:w'],
      [0, 2000, 4, 'hex:4d 5a ?? 00'],
      [0, 3000, 4, 'hex:4d 5a ?? 00'],
      [1, 4090, 6, 'string:"secret"'],
    ]);
  });
});

describe('single-value pages', () => {
  it('expand little-endian', () => {
    const p = singleValuePage('0xdeadbeef', 16);
    expect(Buffer.from(p).toString('hex')).toBe('efbeadde'.repeat(4));
    expect(singleValuePage(0x41424344).length).toBe(4096);
    expect(() => singleValuePage(2 ** 32)).toThrow(RangeError);
    expect(() => singleValuePage('0xzz')).toThrow(RangeError);
  });

  it('matchValue says which values a query finds', () => {
    // 0x42414241 is stored little-endian as 41 42 41 42: "ABAB", so a 16-byte page reads "ABAB" four times
    const hits = matchValue(0x42414241, { strings: ['ABAB'] }, 16);
    expect(hits.map((h) => [h.offset, h.pattern, h.match])).toEqual([
      [0, 'string:"ABAB"', '41424142'],
      [2, 'string:"ABAB"', '41424142'],
      [4, 'string:"ABAB"', '41424142'],
      [6, 'string:"ABAB"', '41424142'],
      [8, 'string:"ABAB"', '41424142'],
      [10, 'string:"ABAB"', '41424142'],
      [12, 'string:"ABAB"', '41424142'],
    ]);
    expect(matchValue(0xdeadbeef, { hex: ['ef be ad de ef'] }, 8).map((h) => h.offset)).toEqual([0]);
    expect(matchValue(0, { hex: ['ef be ad de ef'] })).toEqual([]);
    expect(matchValue('0x00000000', { yara: [{ source: 'rule zero { strings: $z = { 00 00 00 00 00 00 00 00 } condition: #z > 100 }', origin: 'inline' }] }).length).toBeGreaterThan(100);
  });
});

describe('query validation', () => {
  const bad = (q: SearchQuery): string => {
    try {
      validateQuery(q);
    } catch (e) {
      expect(e).toBeInstanceOf(QueryError);
      return (e as Error).message;
    }
    throw new Error('expected a QueryError');
  };

  it('names the bad pattern and says why', () => {
    expect(bad({ hex: ['4d 5'] })).toBe('bad hex pattern "4d 5": it has 3 hex digits; bytes need pairs of digits (e.g. "4d 5a ?? 00")');
    expect(bad({ hex: ['4d zz'] })).toBe('bad hex pattern "4d zz": byte 2 is "zz", which is not two hex digits or "??"');
    expect(bad({ hex: ['4? 00'] })).toBe('bad hex pattern "4? 00": byte 1 is "4?": only whole-byte wildcards "??" are supported');
    expect(bad({ hex: ['?? ??'] })).toBe('bad hex pattern "?? ??": it has only wildcards; at least one byte must be fixed');
    expect(bad({ hex: ['  '] })).toBe('bad hex pattern "  ": it is empty');
    expect(bad({ regexes: ['(ab'] })).toBe('bad regex pattern /(ab/: Unterminated group');
    expect(bad({ strings: [''] })).toBe('bad string pattern "": it is empty');
    expect(bad({})).toBe('bad search query: give at least one string, regex, hex pattern or YARA rule');
    expect(bad({ strings: ['x'], context: -1 })).toBe('bad search query: context must be a whole number of bytes from 0 to 4096 (got -1)');
    expect(bad({ yara: [{ source: '  ', origin: 'r.yar' }] })).toBe('bad yara pattern r.yar: the rule file is empty');
  });

  it('normalises encodings as the CLI promises', () => {
    expect(validateQuery({ strings: ['x'] }).encodings).toEqual({ utf8: true, utf16: false });
    expect(validateQuery({ strings: ['x'], ascii: true }).encodings).toEqual({ utf8: true, utf16: false });
    expect(validateQuery({ strings: ['x'], utf16: true }).encodings).toEqual({ utf8: false, utf16: true });
    expect(validateQuery({ strings: ['x'], utf16: true, ascii: true }).encodings).toEqual({ utf8: true, utf16: true });
    expect(validateQuery({ strings: ['x'] }).context).toBe(16);
  });

  it('queryKey is stable and tells queries apart', () => {
    expect(queryKey({ strings: ['x'], hex: ['4D5A'] })).toBe(queryKey({ hex: ['4d 5a'], strings: ['x'] }));
    expect(queryKey({ strings: ['x'] })).not.toBe(queryKey({ strings: ['x'], ignoreCase: true }));
    expect(queryKey({ strings: ['x'] })).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('against a plain reference search (random pages and needles)', () => {
  const naive = (page: Uint8Array, needles: { bytes: Uint8Array; mask?: Uint8Array; label: string }[], fold: boolean): string[] => {
    const lower = (c: number): number => (fold && c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
    const out: string[] = [];
    for (let o = 0; o < page.length; o++) {
      needles.forEach((n) => {
        if (o + n.bytes.length > page.length) return;
        for (let i = 0; i < n.bytes.length; i++) {
          if (n.mask && !n.mask[i]) continue;
          const a = n.mask ? page[o + i]! : lower(page[o + i]!);
          const b = n.mask ? n.bytes[i]! : lower(n.bytes[i]!);
          if (a !== b) return;
        }
        out.push(`${o}:${n.bytes.length}:${n.label}`);
      });
    }
    return out;
  };
  // a small alphabet makes matches (and near misses) frequent
  const alpha = fc.constantFrom(0x61, 0x41, 0x62, 0x42, 0x00, 0x5b, 0x7b, 0xe1, 0xc1);
  const word = fc.array(fc.constantFrom('a', 'A', 'b', 'B', '['), { minLength: 1, maxLength: 5 }).map((a) => a.join(''));

  it('literals (few and many, folded or not, UTF-8 and UTF-16LE) find exactly the occurrences', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }).chain((x) => fc.array(alpha, { minLength: x.length, maxLength: x.length })), fc.uniqueArray(word, { minLength: 1, maxLength: 7 }), fc.boolean(), fc.boolean(), (bytes, words, ignoreCase, both) => {
        const page = Uint8Array.from(bytes);
        const m = compileMatcher({ strings: words, ignoreCase, utf16: both, ascii: both });
        const got: string[] = [];
        m.scanPage(page, (o, l, p) => got.push(`${o}:${l}:${p}`));
        const needles = words.flatMap((w) => [
          { bytes: Buffer.from(w, 'utf8'), label: `string:${JSON.stringify(w)}` },
          ...(both ? [{ bytes: Buffer.from(w, 'utf16le'), label: `utf16:${JSON.stringify(w)}` }] : []),
        ]);
        const want = naive(page, needles, ignoreCase);
        expect(got).toEqual(want);
      }),
      { seed: 20240611, numRuns: 300 },
    );
  });

  it('hex patterns with wildcards find exactly the occurrences', () => {
    const tok = fc.oneof(fc.constantFrom('61', '41', '00', 'e1'), fc.constant('??'));
    fc.assert(
      fc.property(fc.array(alpha, { maxLength: 200 }), fc.array(tok, { minLength: 1, maxLength: 5 }).filter((t) => t.some((x) => x !== '??')), (bytes, toks) => {
        const page = Uint8Array.from(bytes);
        const text = toks.join(' ');
        const got: string[] = [];
        compileMatcher({ hex: [text] }).scanPage(page, (o, l, p) => got.push(`${o}:${l}:${p}`));
        const n = { bytes: Uint8Array.from(toks.map((t) => (t === '??' ? 0 : parseInt(t, 16)))), mask: Uint8Array.from(toks.map((t) => (t === '??' ? 0 : 1))), label: `hex:${text}` };
        expect(got).toEqual(naive(page, [n], false));
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
