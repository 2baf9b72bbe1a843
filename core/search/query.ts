// What a person asks a search for, and the checks that turn a bad pattern into an error that says which
// pattern is wrong and why, before any page is read.
//
// Pages are searched one at a time and are NOT contiguous: two slots that follow each other in a segment
// hold unrelated pages of unrelated processes, so a match never spans two pages. A string cut across the
// end of one page and the start of the next is not a hit, by design.

import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { UnfoldError } from '../errors';

export interface YaraSource {
  /** rule text */
  source: string;
  /** where it came from (file path, or a label such as "inline"); named in errors */
  origin: string;
}

export interface SearchQuery {
  /** literals; searched as UTF-8 bytes unless `utf16` is set (then UTF-16LE only, or both with `ascii`) */
  strings?: string[];
  /** JavaScript regular expressions, run over a latin1 view of the page (one character = one byte) */
  regexes?: string[];
  /** byte patterns: pairs of hex digits, `??` for any byte; spaces optional ("4d 5a ?? 00", "4d5a??00") */
  hex?: string[];
  /** YARA rule sources (see core/search/yara.ts to load them from a file or folder) */
  yara?: YaraSource[];
  /** search `strings` as UTF-16LE (only, unless `ascii` is set too) */
  utf16?: boolean;
  /** with `utf16`: search `strings` as UTF-8 bytes as well */
  ascii?: boolean;
  /** ASCII letters in `strings` and `regexes` match either case (hex and YARA are unaffected) */
  ignoreCase?: boolean;
  /** bytes of context shown on each side of a hit (default 16) */
  context?: number;
}

export type PatternType = 'string' | 'utf16' | 'regex' | 'hex' | 'yara';

/** A query that cannot be run; `details` names the pattern type, the pattern, and the reason. */
export class QueryError extends UnfoldError {
  constructor(type: PatternType | 'query', pattern: string, reason: string, details: Record<string, unknown> = {}) {
    super('BAD_QUERY', type === 'query' ? `bad search query: ${reason}` : `bad ${type} pattern ${pattern}: ${reason}`, {
      type,
      pattern,
      reason,
      ...details,
    });
  }
}

export const DEFAULT_CONTEXT = 16;
/** context is capped so a hit record stays small; a page is at most 16 KiB anyway */
export const MAX_CONTEXT = 4096;

/** A parsed hex pattern: `bytes[i]` is meaningful only where `mask[i]` is 1. */
export interface HexPattern {
  text: string;
  bytes: Uint8Array;
  mask: Uint8Array;
}

export function parseHex(text: string): HexPattern {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0) throw new QueryError('hex', JSON.stringify(text), 'it is empty');
  if (compact.length % 2 !== 0) {
    throw new QueryError('hex', JSON.stringify(text), `it has ${compact.length} hex digits; bytes need pairs of digits (e.g. "4d 5a ?? 00")`);
  }
  const n = compact.length / 2;
  const bytes = new Uint8Array(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const pair = compact.slice(2 * i, 2 * i + 2);
    if (pair === '??') continue;
    if (pair.includes('?')) {
      throw new QueryError('hex', JSON.stringify(text), `byte ${i + 1} is "${pair}": only whole-byte wildcards "??" are supported`);
    }
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) {
      throw new QueryError('hex', JSON.stringify(text), `byte ${i + 1} is "${pair}", which is not two hex digits or "??"`);
    }
    bytes[i] = parseInt(pair, 16);
    mask[i] = 1;
  }
  if (!mask.includes(1)) throw new QueryError('hex', JSON.stringify(text), 'it has only wildcards; at least one byte must be fixed');
  return { text, bytes, mask };
}

/** The canonical spelling of a hex pattern in hit labels: lower-case pairs separated by one space. */
export function formatHex(p: HexPattern): string {
  const parts: string[] = [];
  for (let i = 0; i < p.bytes.length; i++) parts.push(p.mask[i] ? p.bytes[i]!.toString(16).padStart(2, '0') : '??');
  return parts.join(' ');
}

// V8 runs a regex that backtracks past a threshold again on its linear-time engine (for every
// pattern that engine supports: no back-references or lookarounds), so '(.*)*\xff' or '(\x00+)+\x01'
// cost microseconds per page instead of minutes. Flags are per process, worker threads included;
// what still backtracks without end is stopped by the per-page budget (core/work/pool.ts).
let linearFallback = false;
function enableLinearFallback(): void {
  if (linearFallback) return;
  linearFallback = true;
  try {
    setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  } catch {
    /* an engine without the flag: the page budget still applies */
  }
}

/** the longest regex accepted: a page is at most 16 KiB, and a longer pattern is a mistake or an attack */
export const MAX_REGEX_LENGTH = 4096;
/** literals and hex patterns longer than the largest page can never match */
export const MAX_PATTERN_BYTES = 16384;

/** Compiles a user regex the way the matcher runs it (global, sticky-free, byte-per-character, no `u`). */
export function compileRegex(source: string, ignoreCase: boolean): RegExp {
  if (source.length === 0) throw new QueryError('regex', '//', 'it is empty');
  if (source.length > MAX_REGEX_LENGTH) {
    throw new QueryError('regex', `/${source.slice(0, 32)}…/`, `it is ${source.length} characters long; the limit is ${MAX_REGEX_LENGTH}`, { length: source.length });
  }
  enableLinearFallback();
  let re: RegExp;
  try {
    re = new RegExp(source, ignoreCase ? 'gi' : 'g');
    // V8 compiles a regex on its first run, and some errors ("regular expression too large") only
    // appear then: run it once here so they are reported now, not inside a worker mid-walk
    re.exec('\x00UNFOLD\xff');
    re.lastIndex = 0;
  } catch (e) {
    // V8 says "Invalid regular expression: /src/flags: reason"; the pattern is named already.
    throw regexError(source, e);
  }
  return re;
}

/**
 * The QueryError for a regex the engine refused: V8's reason, and where it can be told, the
 * 1-based character position of the bracket at fault (`details.position`), which V8 does not give.
 */
export function regexError(source: string, e: unknown): QueryError {
  // V8 says "Invalid regular expression: /src/flags: reason"; the pattern is named already.
  const reason = e instanceof Error ? e.message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '') : String(e);
  const position = bracketAtFault(source, reason);
  return new QueryError('regex', `/${source}/`, reason, position === null ? {} : { position });
}

/** Checks a regex's syntax only (no run, no engine flags): for quick refusals before a search starts. */
export function checkRegexSyntax(source: string, ignoreCase: boolean): void {
  try {
    new RegExp(source, ignoreCase ? 'gi' : 'g');
  } catch (e) {
    throw regexError(source, e);
  }
}

/** 1-based position of the unclosed "(" or "[", or the unmatched ")", that V8's reason speaks of */
function bracketAtFault(source: string, reason: string): number | null {
  const open: number[] = [];
  let classStart = -1;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (classStart >= 0) {
      if (c === ']') classStart = -1;
      continue;
    }
    if (c === '[') classStart = i;
    else if (c === '(') open.push(i);
    else if (c === ')') {
      if (open.length === 0) return /unmatched '\)'/i.test(reason) ? i + 1 : null;
      open.pop();
    }
  }
  if (/unterminated character class/i.test(reason) && classStart >= 0) return classStart + 1;
  if (/unterminated group/i.test(reason) && open.length > 0) return open[open.length - 1]! + 1;
  return null;
}

export interface ValidatedQuery {
  strings: string[];
  regexes: string[];
  hex: HexPattern[];
  yara: YaraSource[];
  /** encodings the literals are searched in */
  encodings: { utf8: boolean; utf16: boolean };
  ignoreCase: boolean;
  context: number;
}

/**
 * Checks every part of a query and returns it in normal form. Throws QueryError naming the first bad
 * pattern. YARA sources are only checked for presence here; compileMatcher compiles them and reports
 * the engine's error with the rule's origin, line and column.
 */
export function validateQuery(q: SearchQuery): ValidatedQuery {
  if (q === null || typeof q !== 'object') throw new QueryError('query', '', 'the query must be an object');
  const list = <T>(name: string, v: T[] | undefined): T[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new QueryError('query', '', `"${name}" must be a list`);
    return v;
  };
  const strings = list('strings', q.strings);
  const regexes = list('regexes', q.regexes);
  const hexes = list('hex', q.hex);
  const yara = list('yara', q.yara);
  for (const s of strings) {
    if (typeof s !== 'string') throw new QueryError('string', String(s), 'it is not text');
    if (s.length === 0) throw new QueryError('string', '""', 'it is empty');
    if (Buffer.byteLength(s, 'utf8') > MAX_PATTERN_BYTES || s.length * 2 > MAX_PATTERN_BYTES * 2) {
      throw new QueryError('string', JSON.stringify(s.slice(0, 32) + '…'), `it is longer than the largest page (${MAX_PATTERN_BYTES} bytes), so it can never match`);
    }
  }
  const ignoreCase = q.ignoreCase === true;
  for (const r of regexes) {
    if (typeof r !== 'string') throw new QueryError('regex', String(r), 'it is not text');
    compileRegex(r, ignoreCase);
  }
  const hex = hexes.map((h) => {
    if (typeof h !== 'string') throw new QueryError('hex', String(h), 'it is not text');
    const p = parseHex(h);
    if (p.bytes.length > MAX_PATTERN_BYTES) throw new QueryError('hex', JSON.stringify(h.slice(0, 32) + '…'), `it is ${p.bytes.length} bytes, longer than the largest page (${MAX_PATTERN_BYTES} bytes), so it can never match`);
    return p;
  });
  for (const y of yara) {
    if (!y || typeof y.source !== 'string' || typeof y.origin !== 'string') {
      throw new QueryError('yara', String(y?.origin ?? ''), 'a YARA source needs { source, origin } text');
    }
    if (y.source.trim().length === 0) throw new QueryError('yara', y.origin, 'the rule file is empty');
  }
  if (strings.length + regexes.length + hex.length + yara.length === 0) {
    throw new QueryError('query', '', 'give at least one string, regex, hex pattern or YARA rule');
  }
  let context = DEFAULT_CONTEXT;
  if (q.context !== undefined) {
    if (!Number.isInteger(q.context) || q.context < 0 || q.context > MAX_CONTEXT) {
      throw new QueryError('query', '', `context must be a whole number of bytes from 0 to ${MAX_CONTEXT} (got ${String(q.context)})`);
    }
    context = q.context;
  }
  const utf16 = q.utf16 === true;
  // Without utf16 a literal is always searched as UTF-8; `ascii` only matters when utf16 is asked for.
  const encodings = { utf8: !utf16 || q.ascii === true, utf16 };
  return { strings, regexes, hex, yara, encodings, ignoreCase, context };
}

/**
 * A short stable key for a query (SHA-256 of its normal form), so workers can cache compiled matchers
 * and a search can be told apart from a stale one.
 */
export function queryKey(q: SearchQuery): string {
  const v = validateQuery(q);
  const normal = {
    strings: v.strings,
    regexes: v.regexes,
    hex: v.hex.map((h) => formatHex(h)),
    yara: v.yara.map((y) => [y.origin, y.source]),
    encodings: v.encodings,
    ignoreCase: v.ignoreCase,
    context: v.context,
  };
  return createHash('sha256').update(JSON.stringify(normal)).digest('hex').slice(0, 32);
}
