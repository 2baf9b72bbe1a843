// The Strings view's list as the examiner narrows it, and that list written to a file. One module so the
// app's on-screen filter and the saved file can never disagree about which strings are "the list".
import { csvField } from './csv';
import type { StringHit } from './types';

/** the filter as the view applies it: a case-insensitive substring; empty keeps every string */
export function stringMatches(text: string, filter: string): boolean {
  return filter === '' || text.toLowerCase().includes(filter.toLowerCase());
}

export function filterStrings<T extends StringHit>(strings: readonly T[], filter: string): T[] {
  return filter === '' ? strings.slice() : strings.filter((s) => stringMatches(s.text, filter));
}

export const STRING_COLUMNS = ['segment', 'slot', 'offset', 'encoding', 'text'] as const satisfies readonly (keyof StringHit)[];

/** header and one CRLF line per string; text cells quoted and formula-guarded as hit lists are */
export function stringsToCsv(strings: Iterable<StringHit>): string {
  let s = STRING_COLUMNS.join(',') + '\r\n';
  for (const x of strings) s += STRING_COLUMNS.map((k) => csvField(x[k])).join(',') + '\r\n';
  return s;
}
