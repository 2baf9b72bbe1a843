import { describe, expect, it } from 'vitest';
import { extractStrings, type StringsOptions } from '../../core/search/strings';

const PAGE = 4096;
const page = (): Buffer => Buffer.alloc(PAGE, 0xcc);
const put = (p: Buffer, at: number, s: string, enc: BufferEncoding = 'latin1'): void => void Buffer.from(s, enc).copy(p, at);

function all(p: Uint8Array, o: StringsOptions = {}): [number, string, string][] {
  const out: [number, string, string][] = [];
  const n = extractStrings(p, o, (offset, text, enc) => out.push([offset, text, enc]));
  expect(n).toBe(out.length);
  return out;
}

describe('extractStrings', () => {
  const P = page();
  put(P, 0, 'head');                    // at the page start, exactly min long
  put(P, 10, 'abc');                    // too short
  put(P, 20, 'tab\tsep line\nnext');    // tab is printable, newline ends a run
  put(P, 100, 'wide text', 'utf16le');  // UTF-16LE, even offset
  put(P, 201, 'odd', 'utf16le');        // too short as UTF-16
  put(P, 301, 'oddwide', 'utf16le');    // UTF-16LE at an odd offset
  put(P, 400, 'caf\xe9 ok');            // é (0xe9) is not printable ASCII: splits the run
  put(P, 4090, 'tail!!');               // ends at the page end

  it('finds ASCII and UTF-16LE runs as GNU strings does, in page order', () => {
    expect(all(P)).toEqual([
      [0, 'head', 'ascii'],
      [20, 'tab\tsep line', 'ascii'],
      [33, 'next', 'ascii'],
      [100, 'wide text', 'utf16le'],
      [301, 'oddwide', 'utf16le'],
      [4090, 'tail!!', 'ascii'],
    ]);
  });

  it('honours min and the encoding switches', () => {
    expect(all(P, { min: 3, utf16: false })).toEqual([
      [0, 'head', 'ascii'],
      [10, 'abc', 'ascii'],
      [20, 'tab\tsep line', 'ascii'],
      [33, 'next', 'ascii'],
      [400, 'caf', 'ascii'],
      [404, ' ok', 'ascii'],
      [4090, 'tail!!', 'ascii'],
    ]);
    expect(all(P, { min: 3, ascii: false })).toEqual([
      [100, 'wide text', 'utf16le'],
      [201, 'odd', 'utf16le'],
      [301, 'oddwide', 'utf16le'],
    ]);
    expect(all(P, { min: 10 })).toEqual([[20, 'tab\tsep line', 'ascii']]);
  });

  it('a run cut by the page end is only what is in this page', () => {
    const a = page();
    const b = page();
    put(a, 4094, 'lo');
    put(b, 0, 'ng');
    expect(all(a)).toEqual([]);
    expect(all(b)).toEqual([]);
    expect(all(Buffer.concat([a, b]))).toEqual([[4094, 'long', 'ascii']]);
  });

  it('ASCII text is not mistaken for UTF-16 and the reverse', () => {
    const p = Buffer.alloc(64);
    put(p, 0, 'plain ascii text');
    put(p, 20, 'AB', 'utf16le');
    put(p, 24, 'CD', 'utf16le');
    expect(all(p, { min: 4 })).toEqual([
      [0, 'plain ascii text', 'ascii'],
      [20, 'ABCD', 'utf16le'],
    ]);
  });

  it('rejects a bad minimum', () => {
    expect(() => extractStrings(P, { min: 0 }, () => undefined)).toThrow(RangeError);
  });
});
