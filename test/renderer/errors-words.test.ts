// The app's words for an error say what is true for this error: the pattern, position and engine's
// reason of a bad query, an empty file, an ISF whose addresses do not fit, a missing segment; and
// only the advice and "what is kept" that apply.
import { describe, expect, it } from 'vitest';
import { explain } from '../../renderer/src/util/errors';

describe('error words', () => {
  it('a bad regex: the pattern, the character and V8\'s reason; nothing "kept" when nothing ran', () => {
    const e = explain({ code: 'BAD_QUERY', message: 'bad regex pattern /ab(x/: Unterminated group', details: { type: 'regex', pattern: '/ab(x/', reason: 'Unterminated group', position: 3 } }, 'search', true);
    expect(e.what).toBe('The regex pattern /ab(x/ cannot be used: Unterminated group (at character 3).');
    expect(e.advice).toBe('Correct this pattern and search again.');
    expect(e.recovered).toBe('Nothing was searched; no page was read.');
    expect(e.excerpt).toBeUndefined();
  });

  it('a YARA syntax error: line and column from the engine\'s report, which is shown as it is', () => {
    const reason = 'error[E001]: syntax error\n --> rules 1 (typed in the app):1:48\n  |\n1 | rule x { condition: and }\n  |        ^ expecting expression';
    const e = explain({ code: 'BAD_QUERY', message: 'x', details: { type: 'yara', pattern: 'rules 1 (typed in the app)', reason } }, 'search', true);
    expect(e.what).toBe('The YARA rules rules 1 (typed in the app) cannot be used: syntax error (at line 1, column 48).');
    expect(e.excerpt).toBe(reason);
    expect(e.advice).toBe('Correct the rule at the line and column shown and search again.');
  });

  it('what a stopped search keeps is said only when there is something, with the count', () => {
    expect(explain({ code: 'WORKER_FAILED', message: 'x' }, 'search', true, 12).recovered).toBe('The 12 hits found before the stop are kept in the list.');
    expect(explain({ code: 'WORKER_FAILED', message: 'x' }, 'strings', true, 1).recovered).toBe('The string found before the stop is kept in the list.');
    expect(explain({ code: 'WORKER_FAILED', message: 'x' }, 'search', true, 0).recovered).toBe('');
  });

  it('an empty file, an ISF whose addresses do not fit, a missing segment', () => {
    const empty = explain({ code: 'IMAGE_FORMAT', message: '/x/empty.raw is empty', details: { path: '/x/empty.raw', size: 0 } }, 'open', false);
    expect(empty.what).toBe('/x/empty.raw is empty (0 bytes): there is no memory in it to read.');
    expect(empty.what).not.toContain('container');
    const isf = explain({ code: 'BAD_SYMBOLS', message: 'x', details: { path: '/isf/k.json', addressesDoNotFit: true } }, 'open', false);
    expect(isf.what).toBe("The symbol table /isf/k.json names this kernel's banner, but its addresses do not fit the image, so the KASLR slide and page-table root could not be validated.");
    expect(isf.what).not.toContain('not an ISF');
    const plainBad = explain({ code: 'BAD_SYMBOLS', message: 'x', details: { source: '/isf/k.json' } }, 'open', false);
    expect(plainBad.what).toContain('is not an ISF');
    const seg = explain({ code: 'NOT_FOUND', message: 'there is no segment 99 (the case has 7 segments)', details: { segment: 99, segments: 7 } }, 'page', true);
    expect(seg.what).toBe('There is no segment 99: the case has 7 segments.');
    expect(seg.advice).not.toContain('path');
    const slot = explain({ code: 'NOT_FOUND', message: 'x', details: { segment: 2, slot: 900 } }, 'page', true);
    expect(slot.what).toBe('Segment 2 has no live slot 900.');
  });

  describe('an export that stopped says only what it left behind', () => {
    const recovered = (code: string, details?: Record<string, unknown>) => explain({ code, message: 'x', ...(details ? { details } : {}) }, 'export', true).recovered;

    it('refused because the folder that would hold it does not exist: nothing was written, and that folder is named', () => {
      const e = explain({ code: 'NOT_FOUND', message: 'export: the folder that will hold the export: nothing at /cases/nowhere', details: { path: '/cases/nowhere', absent: true } }, 'export', true);
      expect(e.title).toBe('The export folder cannot be made there');
      expect(e.what).toBe('The folder /cases/nowhere does not exist, so the export folder cannot be made in it.');
      expect(e.advice).toBe('Create that folder first, or choose an output folder inside one that exists.');
      expect(e.recovered).toBe('Nothing was written.');
      const file = explain({ code: 'NOT_FOUND', message: 'export: the folder that will hold the export: /cases/a.txt is not a folder', details: { path: '/cases/a.txt', notFolder: true } }, 'export', true);
      expect(file.what).toBe('/cases/a.txt is not a folder, so the export folder cannot be made in it.');
      expect(file.recovered).toBe('Nothing was written.');
    });

    it('every refusal made before writing began says nothing was written', () => {
      expect(recovered('EXISTS', { file: '/cases/out' })).toBe('Nothing was written; the existing folder is untouched.');
      expect(recovered('NOT_GRANTED')).toBe('Nothing was written.');
      expect(recovered('BAD_ARGUMENT')).toBe('Nothing was written.');
      expect(recovered('BUSY')).toBe('Nothing was written.');
      expect(recovered('NOT_FOUND', { segment: 3, slot: 999 })).toBe('Nothing was written.');
      expect(recovered('WRITE_FAILED', { file: '/ro/out', cause: 'EACCES' })).toBe('Nothing was written.');
      expect(recovered('CANCELLED', { file: '/cases/out' })).toBe('Nothing was written.');
      for (const code of ['EXISTS', 'NOT_FOUND', 'WRITE_FAILED', 'CANCELLED', 'BAD_ARGUMENT', 'NOT_GRANTED']) expect(recovered(code, { path: '/x' })).not.toContain('removed');
    });

    it('a failure after writing began: what was written was removed, or where it still is', () => {
      expect(recovered('WRITE_FAILED', { file: '/cases/out/pages.bin', cause: 'ENOSPC', partial: true })).toBe('Nothing was left under the final name; what was written so far was removed.');
      expect(recovered('CANCELLED', { file: '/cases/out', partial: true })).toBe('Nothing was left under the final name; what was written so far was removed.');
      expect(recovered('EXISTS', { file: '/cases/out', partial: true })).toBe('What was written so far was removed; the folder that appeared meanwhile is untouched.');
      expect(recovered('WRITE_FAILED', { partial: true, leftover: '/cases/out.partial-0123456789ab' })).toBe(
        'Nothing was left under the final name, but what was written so far could not be removed: it is in /cases/out.partial-0123456789ab.',
      );
    });

    it('a stop from outside the writer (the engine died) does not pretend to know', () => {
      expect(recovered('WORKER_FAILED')).toBe(
        'Nothing was left under the final name. If writing had begun, what was written may remain beside it, in a folder of the same name followed by ".partial-" and a random code.',
      );
    });
  });

  it('saving a list: a missing folder is named, and a refusal says nothing was written', () => {
    const e = explain({ code: 'NOT_FOUND', message: 'saveHits: the folder that will hold the file: nothing at /cases/nowhere', details: { path: '/cases/nowhere', absent: true } }, 'save', true);
    expect(e.title).toBe('The file cannot be made there');
    expect(e.what).toBe('The folder /cases/nowhere does not exist, so the file cannot be made in it.');
    expect(e.advice).toBe('Create that folder first, or choose a file in a folder that exists.');
    expect(e.recovered).toBe('Nothing was written; the list is unchanged.');
    expect(explain({ code: 'EXISTS', message: 'x' }, 'save', true).recovered).toBe('Nothing was written; the existing file is untouched.');
    expect(explain({ code: 'NOT_FOUND', message: 'the hits of this search are no longer kept' }, 'save', true).recovered).toBe('Nothing was written; the list is unchanged.');
    expect(explain({ code: 'WRITE_FAILED', message: 'x', details: { cause: 'ENOSPC' } }, 'save', true).recovered).toBe("Nothing was left under the file's name; the list is unchanged.");
  });
});
