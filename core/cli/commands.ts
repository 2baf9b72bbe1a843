// The image-level CLI commands: open a case through the façade and print what it found.
//
// Every command that walks the compressor prints the case's problems to stderr, one line each
// ("unfold: problem: …"), whatever the output format, and ends with exit status 4 when the walk's
// consistency table has a failed check (the output is complete and printed all the same).
import { openCase, type Case, type OpenOptions, type Progress } from '../case';
import { validateQuery } from '../search/query';
import type { SearchHit } from '../search/hits';
import { EXIT, type CliIo } from './io';
import { EXIT_STATUS } from './exit-status';
import type { SearchQuery } from '../search/query';
import { loadYaraRules, yaraEngineInfo } from '../search/yara';
import { delimiter } from 'node:path';
import { HITS_CSV_HEADER, hitCsvLine } from '../search/csv';
import { slotStats } from '../darwin/histogram';
import { AtomicFile } from '../export/atomic';
import type { ExportSelection, SlotPair } from '../export/types';
import { hitPages, hitsSelection, segmentSelection, slotSelection } from '../export/selection';
import { DiscoveryError, ExportError, OptionError, fromErrno } from '../errors';
import { openImage } from '../image/detect';

interface CaseOpts {
  symbols?: string;
  swap?: string[];
  threads?: string;
  json?: boolean;
}

/** --swap, else UNFOLD_SWAP (one path, or several joined by the platform's path delimiter) */
function swapInputs(o: CaseOpts): string[] | undefined {
  if (o.swap && o.swap.length > 0) return o.swap;
  const env = process.env.UNFOLD_SWAP;
  return env ? env.split(delimiter).filter(Boolean) : undefined;
}

/** a whole-number option value, or OptionError naming the option (exit 64) */
export function wholeNumberOption(name: string, v: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const t = String(v).trim();
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new OptionError(name, `${name} must be a whole number ${range}, got "${v}"`);
  }
  return n;
}

/**
 * Progress on stderr: a line rewritten in place on a terminal; otherwise (a log, a pipe, JSON mode
 * under a script) one line every few seconds, as JSON with --json, so a long scan of a huge image is
 * never silent.
 */
export function progressPrinter(io: CliIo, json: boolean): (p: Progress) => void {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  let last = -Infinity;
  const started = Date.now();
  return (p) => {
    const now = Date.now();
    if (tty) {
      if (now - last < 200 && p.done !== p.total) return;
      last = now;
      io.stderr.write(`\r${p.phase} ${p.done}/${p.total}${p.message ? ' ' + p.message : ''}\x1b[K`);
      if (p.done === p.total) io.stderr.write('\r\x1b[K');
      return;
    }
    // nothing for short runs; then at most one line every 5 s
    if (now - started < 3000 || now - last < 5000 || p.done === p.total) return;
    last = now;
    const pct = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 0;
    if (json) io.stderr.write(JSON.stringify({ progress: { phase: p.phase, done: p.done, total: p.total, ...(p.message ? { message: p.message } : {}) } }) + '\n');
    else io.stderr.write(`unfold: ${p.phase} ${pct}% (${p.done}/${p.total})${p.message ? ' ' + p.message : ''}\n`);
  };
}

/** image notes that say the evidence is damaged or partly ignored (the rest are descriptive) */
const DAMAGE_NOTE = /truncat|cut short|not present|missing|ignored|damaged/i;

/** the case's problems, one line each on stderr */
function reportProblems(c: Case, io: CliIo): void {
  for (const n of c.info.image.notes) if (DAMAGE_NOTE.test(n)) io.stderr.write(`unfold: image: ${n}\n`);
  for (const p of c.info.compressor.problems) io.stderr.write(`unfold: problem: ${p}\n`);
}

/**
 * Failed consistency checks, one line each on stderr, and the status they make: a command whose own
 * work succeeded still ends with 4 so a script cannot take a damaged or disagreeing case for a clean one.
 */
function consistencyStatus(c: Case, io: CliIo, status: number): number {
  const cons = c.info.compressor.consistency;
  if (cons.ok) return status;
  for (const ch of cons.checks) if (!ch.ok) io.stderr.write(`unfold: consistency: ${ch.name}: expected ${ch.expected}, found ${ch.found}${ch.note ? ' — ' + ch.note : ''}\n`);
  return status === EXIT.ok ? EXIT_STATUS.INCONSISTENT : status;
}

export function threadsOption(o: CaseOpts): number | undefined {
  return o.threads !== undefined ? wholeNumberOption('--threads', o.threads, 0, 256) : undefined;
}

export async function withCase(image: string, o: CaseOpts, io: CliIo, fn: (c: Case) => Promise<number>, extra: Partial<OpenOptions> = {}): Promise<number> {
  const threads = threadsOption(o);
  // UNFOLD_SYMBOLS names an examiner's usual ISF folder once, instead of --symbols on every command
  const symbols = o.symbols ?? (process.env.UNFOLD_SYMBOLS || undefined);
  let c: Case;
  try {
    const swap = swapInputs(o);
    c = await openCase(image, { symbols, threads, onProgress: progressPrinter(io, Boolean(o.json)), ...(swap ? { swap } : {}), ...extra });
  } catch (e) {
    throw fromErrno(e, (e as NodeJS.ErrnoException | null)?.path ?? image, 'open');
  }
  try {
    reportProblems(c, io);
    const status = await fn(c);
    return consistencyStatus(c, io, status);
  } finally {
    await c.close();
  }
}

const out = (io: CliIo, s: string) => io.stdout.write(s + '\n');

/** the flat JSON object of `unfold info --json` (keys are a stable contract) */
export function infoJson(c: Case): Record<string, unknown> {
  const { image, kernel, compressor } = c.info;
  const ratio = compressor.compressedBytes > 0 ? compressor.uncompressedBytes / compressor.compressedBytes : null;
  return {
    container: image.format,
    image: image.path,
    files: image.files,
    ranges: image.ranges.map((r) => ({ start: '0x' + r.start.toString(16), length: r.length })),
    notes: image.notes,
    banner: kernel.banner,
    symbols: kernel.symbols,
    kaslrSlide: kernel.kaslrSlide,
    dtb: kernel.dtb,
    arch: kernel.arch,
    darwin: kernel.darwin,
    macos: kernel.macos,
    xnu: kernel.xnu,
    family: compressor.family,
    familyReason: compressor.familyReason,
    layoutSource: compressor.layoutSource,
    pageSize: compressor.pageSize,
    dictPreset: compressor.dictPreset,
    segmentsAvailable: compressor.segmentsAvailable,
    segmentCount: compressor.segmentCount,
    pagesCompressed: compressor.pagesCompressed,
    segments: compressor.segments,
    slots: compressor.slots,
    singleValue: c.ownersKnown() ? compressor.singleValue.map((e) => ({ ...e, owners: c.svOwners(e.index) })) : compressor.singleValue,
    consistency: compressor.consistency,
    compressedBytes: compressor.compressedBytes,
    uncompressedBytes: compressor.uncompressedBytes,
    compressionRatio: ratio,
    problems: compressor.problems,
    swapFiles: c.info.swap.files.map((f) => ({ path: f.path, index: f.index, sha256: f.sha256, segments: f.segments })),
    processes: c.info.processes ?? null,
  };
}

/**
 * `info --json` when no symbol table fits: still one JSON object on stdout, with what the image is,
 * the banner(s) found and what ISF is needed (`symbols: null`); the reason goes to stderr, exit 3.
 */
async function infoWithoutSymbols(image: string, err: DiscoveryError, io: CliIo): Promise<void> {
  const d = err.details as { bannersFound?: string[]; closest?: string[]; source?: string };
  let container: Record<string, unknown> = {};
  try {
    const im = await openImage(image);
    container = { container: im.format, image: im.path, files: [...im.files], ranges: im.ranges.map((r) => ({ start: '0x' + r.start.toString(16), length: r.length })), notes: [...im.notes] };
    im.close();
  } catch {
    container = { container: null, image };
  }
  const banners = d.bannersFound ?? [];
  out(
    io,
    JSON.stringify({
      ...container,
      banner: banners[0] ?? null,
      bannersFound: banners,
      symbols: null,
      symbolsSearched: d.source ?? null,
      isfNeeded: banners.length > 0 ? `a Volatility 3 ISF made (dwarf2json) from the Kernel Debug Kit of: ${banners[0]}` : 'no kernel banner was found, so no ISF can be named',
      closestIsf: d.closest ?? [],
      error: { code: err.code, message: err.message.split('\n')[0] },
    }),
  );
}

export async function infoCommand(image: string, o: CaseOpts & { json?: boolean }, io: CliIo): Promise<number> {
  try {
    return await infoCase(image, o, io);
  } catch (e) {
    if (o.json && e instanceof DiscoveryError && e.code === 'NO_SYMBOLS') await infoWithoutSymbols(image, e, io);
    throw e;
  }
}

async function infoCase(image: string, o: CaseOpts & { json?: boolean }, io: CliIo): Promise<number> {
  // the summary is the metadata's: slots are counted by kind from their size, codec bit and first
  // word, and what could not be read by the buffer pages the image lacks; no page is decoded
  return withCase(image, o, io, async (c) => {
    await c.swapFilesHashed();
    const j = infoJson(c);
    if (o.json) {
      out(io, JSON.stringify(j));
      return EXIT.ok;
    }
    const { image: im, kernel: k, compressor: cs } = c.info;
    out(io, `Container      ${im.format}  (${im.path})`);
    for (const r of im.ranges) out(io, `  range        0x${r.start.toString(16).padStart(12, '0')} – 0x${(r.start + r.length).toString(16).padStart(12, '0')}  ${(r.length / 1048576).toFixed(1)} MiB`);
    for (const n of im.notes) out(io, `  note         ${n}`);
    out(io, `Banner         ${k.banner}`);
    out(io, `macOS          ${k.macos} (darwin ${k.darwin.major}.${k.darwin.minor}.${k.darwin.patch}, ${k.xnu}, ${k.arch})`);
    out(io, `Symbols        ${k.symbols}`);
    out(io, `KASLR slide    ${k.kaslrSlide}`);
    out(io, `Table root     ${k.dtb}`);
    out(io, `Layout family  ${cs.family} (${cs.layoutSource}) — ${cs.familyReason}`);
    out(io, `Page size      ${cs.pageSize}, WKdm dictionary preset ${cs.dictPreset}`);
    out(io, `Segments       ${Object.entries(cs.segments).map(([s, n]) => `${s} ${n}`).join(', ') || 'none'}`);
    out(io, `Slots          ${Object.entries(cs.slots).map(([s, n]) => `${s} ${n}`).join(', ') || 'none'}`);
    out(io, `Bytes          ${cs.compressedBytes} compressed → ${cs.uncompressedBytes} (ratio ${j.compressionRatio === null ? '–' : (j.compressionRatio as number).toFixed(2)})`);
    out(io, `Single value   ${cs.singleValue.length} table entries, ${cs.singleValue.reduce((n, e) => n + e.refCount, 0)} pages`);
    const pr = c.info.processes;
    if (pr) out(io, `Processes      ${pr.available ? `${pr.count} (${pr.unownedSlots ?? 0} live slots no process maps)` : `not walked: ${pr.reason ?? ''}`}`);
    out(io, `Consistency    ${cs.consistency.ok ? 'ok' : 'MISMATCH'}`);
    for (const ch of cs.consistency.checks) out(io, `  ${ch.ok ? 'ok ' : 'BAD'} ${ch.name}: expected ${ch.expected}, found ${ch.found}${ch.note ? ' — ' + ch.note : ''}`);
    if (c.info.swap.cipher) out(io, `Swap cipher    ${c.info.swap.cipher}`);
    for (const f of c.info.swap.files) out(io, `Swap file      ${f.path} (index ${f.index}, ${f.kernelPath}): ${f.segments} segment(s) read, SHA-256 ${f.sha256}`);
    for (const p of cs.problems) out(io, `Problem        ${p}`);
    return EXIT.ok;
    // from metadata alone, unless swap files were given: whether a file really belongs to this image
    // (right machine, right boot, chunk not reused) shows only by decrypting and decoding its segments
  }, swapInputs(o) ? {} : { decode: 'never' });
}

export async function slotsCommand(image: string, o: CaseOpts & { json?: boolean; segment?: string }, io: CliIo): Promise<number> {
  const only = o.segment !== undefined ? wholeNumberOption('--segment', o.segment) : null;
  return withCase(image, o, io, async (c) => {
    if (only !== null && !c.segments().some((s) => s.index === only)) {
      io.stderr.write(`unfold: there is no segment ${only} (the case has ${c.segments().length} segments; see unfold segments)\n`);
      return EXIT.badData;
    }
    // every printed record shows its page's SHA-256: the walk hashes as it decodes (hashPages), or,
    // for one segment, that segment is hashed when its slots are asked for
    for (const rec of only !== null ? c.slots(only, { hashes: true }) : c.allSlots({ hashes: true })) {
      if (only !== null && rec.segment !== only) continue;
      if (o.json) out(io, JSON.stringify(c.ownersKnown() ? { ...rec, owners: c.slotOwners(rec.segment, rec.slot) } : rec));
      else out(io, `${rec.segment}\t${rec.slot}\t${rec.state}\t${rec.kind}\t${rec.compressedSize}\t${rec.sha256 ?? rec.error ?? ''}`);
    }
    return EXIT.ok;
  }, { hashPages: only === null });
}

/** the options `search` and `export --hits-of` take to say what to look for (see queryOptions) */
export interface QueryOpts {
  string?: string[];
  regex?: string[];
  hex?: string[];
  yara?: string[];
  utf16?: boolean;
  ascii?: boolean;
  ignoreCase?: boolean;
}

/** the query options as they are spelled on the command line, in the order `--help` lists them */
export const QUERY_FLAGS: ReadonlyArray<[keyof QueryOpts, string]> = [
  ['string', '--string'],
  ['regex', '--regex'],
  ['hex', '--hex'],
  ['yara', '--yara'],
  ['utf16', '--utf16'],
  ['ascii', '--ascii'],
  ['ignoreCase', '--ignore-case'],
];

/** the search query the query options ask for (YARA rules read from their files); null when no pattern is given */
export async function queryOptions(o: QueryOpts, context: number): Promise<SearchQuery | null> {
  if (!o.string?.length && !o.regex?.length && !o.hex?.length && !o.yara?.length) return null;
  return {
    strings: o.string,
    regexes: o.regex,
    hex: o.hex,
    yara: o.yara ? await loadYaraRules(o.yara) : undefined,
    utf16: Boolean(o.utf16),
    ascii: Boolean(o.ascii),
    ignoreCase: Boolean(o.ignoreCase),
    context,
  };
}

/** every pattern compiled now (YARA rules included): a bad one is refused before the image is opened */
async function compileQuery(query: SearchQuery): Promise<void> {
  validateQuery(query);
  const { compileMatcher } = await import('../search/matcher');
  compileMatcher(query);
}

export async function searchCommand(image: string, o: Record<string, unknown>, io: CliIo): Promise<number> {
  const context = wholeNumberOption('--context', String(o.context ?? 16), 0, 4096);
  threadsOption(o as CaseOpts);
  const query = await queryOptions(o as QueryOpts, context);
  if (!query) {
    io.stderr.write('unfold search: give at least one of --string, --regex, --hex, --yara\n');
    return EXIT.usage;
  }
  if (o.csv && o.json) {
    io.stderr.write('unfold search: choose one of --csv and --json\n');
    return EXIT.usage;
  }
  if ((o.out !== undefined || o.overwrite) && !o.csv) {
    io.stderr.write('unfold search: --out and --overwrite go with --csv\n');
    return EXIT.usage;
  }
  await compileQuery(query);
  const yaraEngine = query.yara?.length ? announceYaraEngine(io) : null;
  // the file is claimed before the (possibly long) walk: an existing one is refused up front
  const file = typeof o.out === 'string' ? await cliWords(() => AtomicFile.create(o.out as string, { overwrite: Boolean(o.overwrite) }), '--overwrite replaces it') : null;
  const csv = o.csv ? csvSink(file ? (s) => file.write(s) : (s) => io.stdout.write(s)) : null;
  let hits = 0;
  const onHit = (h: SearchHit) => {
    hits++;
    if (csv) csv.line(hitCsvLine(h));
    else if (o.json) out(io, JSON.stringify(yaraEngine && h.pattern.startsWith('yara:') ? { ...h, yaraEngine } : h));
    else out(io, `segment ${h.segment} slot ${h.slot} +0x${h.offset.toString(16)}  ${h.pattern}  ${h.match}`);
  };
  try {
    csv?.line(HITS_CSV_HEADER);
    // one pass: every page is searched while the walk has it decoded
    const code = await withCase(
      image,
      o as CaseOpts,
      io,
      async (c) => {
        const sv = await c.svTableSearch(query, onHit);
        const gaveUp = [...c.searchGaveUp(), ...sv.gaveUp];
        for (const g of gaveUp) io.stderr.write(`unfold: search gave up on segment ${g.segment} slot ${g.slot}: ${g.reason}\n`);
        if (!o.json && !o.csv) {
          const pages = slotStats(c.allSlots(), c.info.compressor.pageSize).decodedPages;
          out(io, `${hits} hits in ${pages} pages${gaveUp.length ? ` (${gaveUp.length} page(s) not fully searched)` : ''}`);
        }
        // hits may be missing from the pages given up on: the result is incomplete, and the status says so
        return gaveUp.length ? EXIT_STATUS.INCONSISTENT : EXIT.ok;
      },
      { during: { search: { query, onHit } } },
    );
    await csv?.end();
    if (file) {
      const w = await file.commit();
      out(io, `${hits} hits written to ${w.path} (${w.bytes} bytes, SHA-256 ${w.sha256})`);
    }
    return code;
  } catch (e) {
    await file?.abort();
    throw e;
  }
}

/**
 * Says on stderr which YARA engine runs (the rules were compiled just before, so a syntax error or an
 * include has already been refused with exit 2); YARA hits in JSON carry it as `yaraEngine`.
 */
function announceYaraEngine(io: CliIo): string {
  const { label } = yaraEngineInfo();
  io.stderr.write(`YARA engine: ${label}\n`);
  return label;
}

/**
 * CSV lines gathered into chunks of about 1 MiB and written in order; `write` may be asynchronous
 * (a file) and its first failure is reported by end().
 */
function csvSink(write: (s: string) => unknown): { line(s: string): void; end(): Promise<void> } {
  let buf = '';
  let chain: Promise<unknown> = Promise.resolve();
  const send = () => {
    const s = buf;
    buf = '';
    chain = chain.then(() => write(s));
  };
  return {
    line(s) {
      buf += s;
      if (buf.length >= 1 << 20) send();
    },
    async end() {
      if (buf) send();
      await chain;
    },
  };
}

export async function stringsCommand(image: string, o: CaseOpts & { min: string; json?: boolean }, io: CliIo): Promise<number> {
  threadsOption(o);
  const min = wholeNumberOption('--min', o.min, 1, 4096);
  const onString = (s: { segment: number; slot: number; offset: number; encoding: 'ascii' | 'utf16le'; text: string }) => {
    if (o.json) out(io, JSON.stringify(s));
    else out(io, `${s.segment}\t${s.slot}\t0x${s.offset.toString(16)}\t${s.encoding === 'utf16le' ? 'u' : 'a'}\t${s.text}`);
  };
  // one pass: strings are taken from every page while the walk has it decoded
  return withCase(image, o, io, async () => EXIT.ok, { during: { strings: { min, onString } } });
}
/** what `export` is asked to hold: every live slot, one segment or slot, or the pages of a search's hits */
type ExportPick = { kind: 'all' } | { kind: 'segment'; segment: number; slot: number | null } | { kind: 'hits'; query: SearchQuery };

/**
 * The export's selection options, checked before the image is opened: --segment N [--slot M], or
 * --hits-of with the query options `search` takes; a bad value or a mix that means nothing exits 64
 * naming the option.
 */
async function exportPick(o: ExportOpts): Promise<ExportPick> {
  const segment = o.segment !== undefined ? wholeNumberOption('--segment', o.segment) : null;
  const slot = o.slot !== undefined ? wholeNumberOption('--slot', o.slot) : null;
  if (slot !== null && segment === null) throw new OptionError('--slot', '--slot needs --segment: a slot is numbered within its segment');
  const given = QUERY_FLAGS.filter(([k]) => {
    const v = o[k];
    return Array.isArray(v) ? v.length > 0 : Boolean(v);
  });
  if (!o.hitsOf) {
    if (given.length > 0) throw new OptionError(given[0]![1], `${given[0]![1]} goes with --hits-of (export the pages holding the hits of that search)`);
    return segment !== null ? { kind: 'segment', segment, slot } : { kind: 'all' };
  }
  if (segment !== null) throw new OptionError('--hits-of', '--hits-of and --segment each choose the pages to export: give one of them');
  // the hits are only located, never printed: no context is needed
  const query = await queryOptions(o, 0);
  if (!query) throw new OptionError('--hits-of', '--hits-of needs at least one of --string, --regex, --hex, --yara');
  await compileQuery(query);
  return { kind: 'hits', query };
}

/** a search's patterns in a few words, for the selection's label in the manifest */
function queryWords(q: SearchQuery): string {
  const parts = [
    ...(q.strings ?? []).map((s) => JSON.stringify(s)),
    ...(q.regexes ?? []).map((r) => `/${r}/`),
    ...(q.hex ?? []).map((h) => `hex ${h}`),
    ...(q.yara ?? []).map((y) => `YARA rules ${y.origin}`),
  ];
  const how = [q.utf16 ? (q.ascii ? 'strings as UTF-16LE and ASCII' : 'strings as UTF-16LE') : '', q.ignoreCase ? 'ignoring case' : ''].filter(Boolean);
  return `a search for ${parts.join(', ')}${how.length ? ` (${how.join(', ')})` : ''}`;
}

export interface ExportOpts extends CaseOpts, QueryOpts {
  out: string;
  layout: 'slots' | 'concat';
  overwrite?: boolean;
  json?: boolean;
  segment?: string;
  slot?: string;
  hitsOf?: boolean;
}

export async function exportCommand(image: string, o: ExportOpts, io: CliIo): Promise<number> {
  threadsOption(o);
  const pick = await exportPick(o);
  if (pick.kind === 'hits' && pick.query.yara?.length) announceYaraEngine(io);
  // refuse before the (possibly long) walk when the output folder is in the way
  const { assertOutputFree } = await import('../export/atomic');
  await cliWords(async () => assertOutputFree(o.out, Boolean(o.overwrite), [image]));
  // the pages holding hits, each once (a page can hold millions of hits: none is kept)
  const located: SlotPair[] = [];
  const seen = new Set<string>();
  let hitCount = 0;
  const onHit = (h: SearchHit) => {
    hitCount++;
    const key = `${h.segment}:${h.slot}`;
    if (!seen.has(key)) {
      seen.add(key);
      located.push({ segment: h.segment, slot: h.slot });
    }
  };
  const extra: Partial<OpenOptions> =
    pick.kind === 'segment'
      ? // one segment or slot: nothing else is decoded (the summary is the metadata's, as for info)
        { decode: 'never' }
      : pick.kind === 'hits'
        ? // one pass: every page is searched while the walk has it decoded
          { during: { search: { query: pick.query, onHit } } }
        : {};
  return withCase(image, o, io, async (c) => {
    let selection: ExportSelection | undefined;
    let status: number = EXIT.ok;
    if (pick.kind === 'segment') {
      const { segment, slot } = pick;
      if (!c.segments().some((s) => s.index === segment)) {
        io.stderr.write(`unfold: there is no segment ${segment} (the case has ${c.segments().length} segments; see unfold segments)\n`);
        return EXIT.badData;
      }
      if (slot !== null && !c.hasSlot(segment, slot)) {
        io.stderr.write(`unfold: segment ${segment} has no live slot ${slot}\n`);
        return EXIT.badData;
      }
      const slots = slot !== null ? [slot] : c.slots(segment).map((r) => r.slot);
      if (slots.length === 0) {
        io.stderr.write(`unfold: segment ${segment} has no live slot: nothing to export\n`);
        return EXIT.badData;
      }
      selection = slot !== null ? slotSelection(segment, slot) : segmentSelection(segment, slots);
    } else if (pick.kind === 'hits') {
      // the single-value table is searched too, as `search` does: its hits count in the label (as the
      // app's do) but have no slot of their own to export
      const sv = await c.svTableSearch(pick.query, onHit);
      const gaveUp = [...c.searchGaveUp(), ...sv.gaveUp];
      for (const g of gaveUp) io.stderr.write(`unfold: search gave up on segment ${g.segment} slot ${g.slot}: ${g.reason}\n`);
      // hits may be missing from the pages given up on: the export is then incomplete, and the status says so
      if (gaveUp.length) status = EXIT_STATUS.INCONSISTENT;
      const pages = hitPages(located);
      if (pages.length === 0) {
        const svOnly = hitCount > 0 ? ` (its ${hitCount} hit${hitCount === 1 ? ' is' : 's are'} in single-value pages, which have no slot of their own)` : '';
        io.stderr.write(`unfold: ${queryWords(pick.query)} found no hit in a compressed page${svOnly}: nothing to export\n`);
        return EXIT.badData;
      }
      selection = hitsSelection(pages, hitCount, queryWords(pick.query));
    }
    const r = await cliWords(() => c.export({ out: o.out, layout: o.layout, overwrite: Boolean(o.overwrite), ...(selection ? { selection } : {}) }, {}));
    if (o.json) out(io, JSON.stringify(r));
    else {
      out(io, `exported ${r.exported} pages to ${r.out} (manifest SHA-256 ${r.manifestSha256})`);
      for (const [why, n] of Object.entries(r.skipped)) out(io, `  skipped ${n}: ${why}`);
    }
    return r.accountedFor === r.liveSlots ? status : EXIT.badData;
  }, extra);
}

/** an export refusal in the CLI's words: the option that replaces an earlier export is --overwrite */
export async function cliWords<T>(fn: () => Promise<T>, how = '--overwrite replaces an earlier Unfold export'): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ExportError && e.code === 'EXISTS') {
      throw new ExportError('EXISTS', e.message.replace(/\(ask to overwrite to replace it\)/, `(${how})`), e.details);
    }
    throw e;
  }
}

export async function segmentsCommand(image: string, o: CaseOpts & { json?: boolean }, io: CliIo): Promise<number> {
  threadsOption(o);
  return withCase(image, o, io, async (c) => {
    for (const s of c.segments()) {
      if (o.json) out(io, JSON.stringify(s));
      else {
        const kinds = Object.entries(s.kinds).map(([k, n]) => `${k} ${n}`).join(', ');
        // sealed segments read back say so; those still sealed keep the old wording
        const sealedLeft = (s.kinds.swapped ?? 0) + (s.kinds['encrypted?'] ?? 0) > 0;
        const where = s.swap
          ? `swap file ${s.swap.fileIndex} @0x${s.swap.offset.toString(16)}${sealedLeft || s.liveSlots === 0 ? '' : ' (read back)'}`
          : s.possiblyEncrypted
            ? sealedLeft ? 'possibly encrypted' : 'decrypted in RAM'
            : '';
        out(io, `${s.index}\t${s.stateName}\t${s.liveSlots} slots\t${s.compressedBytes} bytes\t${kinds}${where ? '\t' + where : ''}${s.problems.length ? '\t' + s.problems.join('; ') : ''}`);
      }
    }
    return EXIT.ok;
  });
}

export async function pageCommand(
  image: string,
  o: CaseOpts & { segment: string; slot: string; compressed?: boolean; output?: string; overwrite?: boolean },
  io: CliIo,
): Promise<number> {
  const segment = wholeNumberOption('--segment', o.segment);
  const slot = wholeNumberOption('--slot', o.slot);
  threadsOption(o);
  // a page is binary: written to a terminal it would garble it (and could send it control sequences)
  if (!o.output && (io.stdout as NodeJS.WriteStream).isTTY === true) {
    throw new OptionError('--output', 'refusing to write a binary page to the terminal: give -o FILE, or pipe it (e.g. | xxd)');
  }
  return withCase(image, o, io, async (c) => {
    if (!c.segments().some((s) => s.index === segment)) {
      io.stderr.write(`unfold: there is no segment ${segment} (the case has ${c.segmentCount()} segments; see unfold segments)\n`);
      return EXIT.badData;
    }
    if (!c.hasSlot(segment, slot)) {
      io.stderr.write(`unfold: segment ${segment} has no live slot ${slot}\n`);
      return EXIT.badData;
    }
    const p = c.page(segment, slot);
    const bytes = o.compressed ? p.compressed : p.page;
    if (!bytes) {
      const hint = p.record.kind === 'swapped' && !p.record.error ? ' (its segment is in a swap file: give it with --swap)' : '';
      io.stderr.write(`unfold: segment ${segment} slot ${slot} (${p.record.kind}) has no ${o.compressed ? 'stored bytes in the image' : 'decoded page'}${p.record.error ? ': ' + p.record.error : hint}\n`);
      return EXIT.badData;
    }
    if (o.output) {
      const { writeFileAtomic } = await import('../export/atomic');
      await cliWords(() => writeFileAtomic(o.output!, bytes, { overwrite: Boolean(o.overwrite) }), '--overwrite replaces it');
      return EXIT.ok;
    }
    await new Promise<void>((resolve, reject) => io.stdout.write(bytes, (e) => (e ? reject(e) : resolve())));
    return EXIT.ok;
    // only this segment is planned and only this slot decoded; the other segments are counted (the
    // census), so the problems and failed checks printed are the whole case's, as every walking
    // command prints them (without the process walk's check)
  }, { segment });
}
