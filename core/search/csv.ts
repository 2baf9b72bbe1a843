// The hit list as CSV, the one writer behind the app's "Save hits" and `unfold search --csv`.
// RFC 4180 quoting and CRLF line ends. A text cell a spreadsheet would run as a formula (it starts with
// =, +, -, @, tab or CR) is written with a leading apostrophe, as OWASP advises against CSV injection:
// pattern labels and state names are typed by people and read from evidence. Numbers, negative ones
// included (segment -1), stay numbers.
import { HIT_COLUMNS, type SearchHit } from './types';

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(v: string | number): string {
  const t = typeof v === 'string' && FORMULA_START.test(v) ? `'${v}` : String(v);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/** the header line, CRLF included */
export const HITS_CSV_HEADER = HIT_COLUMNS.join(',') + '\r\n';

/** one hit as a CSV line, CRLF included */
export function hitCsvLine(h: SearchHit): string {
  return HIT_COLUMNS.map((k) => csvField(h[k])).join(',') + '\r\n';
}

/** a whole hit list: header and one line per hit */
export function hitsToCsv(hits: Iterable<SearchHit>): string {
  let s = HITS_CSV_HEADER;
  for (const h of hits) s += hitCsvLine(h);
  return s;
}
