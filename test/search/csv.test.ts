// The hit-list CSV (app's "Save hits" and `unfold search --csv`): exact bytes, RFC 4180 quoting, CRLF,
// and the formula guard on every text cell a spreadsheet would otherwise run.
import { describe, expect, it } from 'vitest';
import { csvField, hitCsvLine, hitsToCsv, HITS_CSV_HEADER } from '../../core/search/csv';
import type { SearchHit } from '../../core/search/types';

const hit = (over: Partial<SearchHit>): SearchHit => ({
  segment: 3,
  slot: 7,
  offset: 16,
  length: 2,
  match: '4142',
  pattern: 'string:"AB"',
  kind: 'wkdm',
  state: 'C_ON_AGE_Q',
  before: '00',
  after: 'ff',
  ...over,
});

describe('csvField', () => {
  it('prefixes formula starters with an apostrophe, then quotes what needs quoting', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+49 30')).toBe("'+49 30");
    expect(csvField('-x')).toBe("'-x");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('\rx')).toBe('"\'\rx"');
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('x=1')).toBe('x=1');
  });

  it('writes numbers as numbers, negative ones unguarded', () => {
    expect(csvField(-1)).toBe('-1');
    expect(csvField(0)).toBe('0');
  });
});

describe('hitsToCsv', () => {
  it('gives the exact bytes for hostile pattern and state cells', () => {
    const hits = [
      hit({ pattern: '=cmd|\' /C calc\'!A0' }),
      hit({ segment: -1, slot: 2, kind: 'single', state: 'sv-table (3 pages)', pattern: '+1' }),
      hit({ pattern: '-2', state: '@state' }),
      hit({ pattern: '\ttab', state: '\rcr' }),
      hit({ pattern: 'regex:/a,"b"/', match: '', before: '', after: '' }),
    ];
    const expected =
      'segment,slot,offset,length,kind,state,pattern,match,before,after\r\n' +
      "3,7,16,2,wkdm,C_ON_AGE_Q,'=cmd|' /C calc'!A0,4142,00,ff\r\n" +
      "-1,2,16,2,single,sv-table (3 pages),'+1,4142,00,ff\r\n" +
      "3,7,16,2,wkdm,'@state,'-2,4142,00,ff\r\n" +
      "3,7,16,2,wkdm,\"'\rcr\",'\ttab,4142,00,ff\r\n" +
      '3,7,16,2,wkdm,C_ON_AGE_Q,"regex:/a,""b""/",,,\r\n';
    const csv = hitsToCsv(hits);
    expect(csv).toBe(expected);
    expect(Buffer.from(csv, 'utf8').toString('hex')).toBe(Buffer.from(expected, 'utf8').toString('hex'));
  });

  it('is the header followed by one line per hit', () => {
    expect(hitsToCsv([])).toBe(HITS_CSV_HEADER);
    const h = hit({});
    expect(hitsToCsv([h, h])).toBe(HITS_CSV_HEADER + hitCsvLine(h) + hitCsvLine(h));
  });
});
