import { describe, expect, it } from 'vitest';
import { filterStrings, stringMatches, stringsToCsv } from '../../core/search/strings-list';
import type { StringHit } from '../../core/search/types';

const s = (text: string, slot = 1): StringHit => ({ segment: 2, slot, offset: 16, encoding: 'ascii', text });

describe('the Strings view list', () => {
  it('filters by case-insensitive substring; an empty filter keeps all', () => {
    const list = [s('Http://x', 1), s('nothing', 2), s('xHTTPy', 3)];
    expect(filterStrings(list, 'http').map((x) => x.slot)).toEqual([1, 3]);
    expect(filterStrings(list, '').map((x) => x.slot)).toEqual([1, 2, 3]);
    expect(stringMatches('abc', 'ABCD')).toBe(false);
  });

  it('writes CSV with quoting and the formula guard', () => {
    expect(stringsToCsv([s('plain'), s('a,"b"'), s('=cmd')])).toBe(
      'segment,slot,offset,encoding,text\r\n2,1,16,ascii,plain\r\n2,1,16,ascii,"a,""b"""\r\n2,1,16,ascii,\'=cmd\r\n',
    );
  });
});
