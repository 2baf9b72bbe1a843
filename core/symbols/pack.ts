// A symbol pack: one ISF file, or a folder (searched recursively) of `.json` / `.json.xz` ISFs,
// indexed by the kernel banner each one was made from. Indexing reads only the `version` symbol
// out of each file's text (no full parse), so a large pack is cheap to match.
import { readdir, stat, readFile, writeFile, mkdir, rename } from 'node:fs/promises';
import { join, resolve, dirname } from 'node:path';
import { userCacheDir } from '../cache-dir';
import { DiscoveryError } from '../errors';
import { parseBanner } from '../darwin/version';
import { bannerFromConstantData, isfText, parseIsfText, quoteLongIntegers, type IsfSymbolTable } from './isf';

export interface IsfEntry {
  path: string;
  /** banner from symbols.version.constant_data, or null when the file has none */
  banner: string | null;
  /** unslid address of `version`, when found */
  versionAddress: bigint | null;
}

const ISF_NAME = /\.json(\.xz|\.gz)?$/i;

async function listIsfFiles(dir: string, out: string[], depth: number): Promise<void> {
  if (depth > 8) return;
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await listIsfFiles(p, out, depth + 1);
    else if (e.isFile() && ISF_NAME.test(e.name)) out.push(p);
  }
}

/** find the `"version": {…}` symbol object holding constant_data without parsing the whole file */
export function peekVersionSymbol(text: string): { banner: string | null; address: bigint | null } {
  const re = /"version"\s*:\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    // string-aware brace matching from the opening brace
    const start = m.index + m[0].length - 1;
    let depth = 0;
    let end = -1;
    let inStr = false;
    for (let i = start; i < text.length && i < start + 65536; i++) {
      const c = text.charCodeAt(i);
      if (inStr) {
        if (c === 0x5c) i++;
        else if (c === 0x22) inStr = false;
      } else if (c === 0x22) inStr = true;
      else if (c === 0x7b) depth++;
      else if (c === 0x7d && --depth === 0) {
        end = i + 1;
        break;
      }
    }
    if (end < 0) continue;
    const body = text.slice(start, end);
    if (!body.includes('"constant_data"')) continue;
    try {
      const obj = JSON.parse(quoteLongIntegers(body)) as { address?: unknown; constant_data?: unknown };
      if (typeof obj.constant_data !== 'string') continue;
      const a = obj.address;
      const address = typeof a === 'string' || (typeof a === 'number' && Number.isSafeInteger(a)) ? BigInt(a) : null;
      return { banner: bannerFromConstantData(obj.constant_data), address };
    } catch {
      continue;
    }
  }
  return { banner: null, address: null };
}

/**
 * Index a file or folder of ISFs by banner. In a folder, files that cannot be read are skipped (and
 * remembered as such, so a damaged or oversized file costs nothing on the next open); a single file
 * that cannot be read is an error naming it. `keepText(banner)` asks to keep the text of files with
 * that banner in `texts`, so the chosen file is decompressed only once.
 */
export async function indexSymbols(pathOrFolder: string, keep?: { wanted: (banner: string) => boolean; texts: Map<string, string> }): Promise<IsfEntry[]> {
  let st;
  try {
    st = await stat(pathOrFolder);
  } catch (e) {
    throw new DiscoveryError('NO_SYMBOLS', `symbols path ${pathOrFolder} cannot be read: ${(e as Error).message}`, { source: pathOrFolder });
  }
  const files: string[] = [];
  if (st.isDirectory()) await listIsfFiles(pathOrFolder, files, 0);
  else files.push(pathOrFolder);
  const cache = await loadIndexCache();
  let changed = false;
  const out: IsfEntry[] = [];
  for (const path of files) {
    try {
      const fst = await stat(path);
      const key = `${resolve(path)}\u0000${fst.size}\u0000${fst.mtimeMs}`;
      const hit = cache.get(key);
      if (hit) {
        if (hit.error !== undefined) {
          if (!st.isDirectory()) throw new DiscoveryError('BAD_SYMBOLS', hit.error, { source: path });
          continue;
        }
        out.push({ path, banner: hit.banner, versionAddress: hit.versionAddress === null ? null : BigInt(hit.versionAddress) });
        continue;
      }
      let text: string;
      try {
        text = await isfText(await readFile(path), path);
      } catch (e) {
        // a file that cannot be read (damaged, an xz bomb) is remembered as such: not read again until it changes
        const msg = e instanceof DiscoveryError ? e.message : `${path} cannot be read as an ISF: ${(e as Error).message}`;
        cache.set(key, { banner: null, versionAddress: null, error: msg });
        changed = true;
        throw e instanceof DiscoveryError ? e : new DiscoveryError('BAD_SYMBOLS', msg, { source: path });
      }
      const v = peekVersionSymbol(text);
      out.push({ path, banner: v.banner, versionAddress: v.address });
      // a single file's text is kept for loading (it is the one to load); in a folder only wanted banners'
      if (keep && (!st.isDirectory() || (v.banner !== null && keep.wanted(v.banner)))) keep.texts.set(path, text);
      cache.set(key, { banner: v.banner, versionAddress: v.address === null ? null : v.address.toString() });
      changed = true;
    } catch (e) {
      if (!st.isDirectory()) {
        if (changed) await saveIndexCache(cache);
        throw e instanceof DiscoveryError ? e : new DiscoveryError('BAD_SYMBOLS', `${path} cannot be read as an ISF: ${(e as Error).message}`, { source: path });
      }
    }
  }
  if (changed) await saveIndexCache(cache);
  return out;
}

// ---------------------------------------------------------------------------------------------
// A symbol pack of hundreds of .json.xz files takes minutes to decompress just to read banners, so
// what each file holds is remembered by path, size and mtime in the user's cache folder (like
// Volatility 3's identifier cache). A missing or unreadable cache only costs the re-read.

interface CachedEntry {
  banner: string | null;
  versionAddress: string | null;
  /** why the file could not be read (damaged, too large) */
  error?: string;
}

function indexCachePath(): string | null {
  if (process.env.UNFOLD_ISF_CACHE === 'off') return null;
  if (process.env.UNFOLD_ISF_CACHE) return process.env.UNFOLD_ISF_CACHE;
  return join(userCacheDir(), 'isf-index.json');
}

async function loadIndexCache(): Promise<Map<string, CachedEntry>> {
  const file = indexCachePath();
  if (!file) return new Map();
  try {
    const j = JSON.parse(await readFile(file, 'utf8')) as { version: number; entries: Record<string, CachedEntry> };
    if (j.version !== 1) return new Map();
    return new Map(Object.entries(j.entries));
  } catch {
    return new Map();
  }
}

async function saveIndexCache(cache: Map<string, CachedEntry>): Promise<void> {
  const file = indexCachePath();
  if (!file) return;
  try {
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: 1, entries: Object.fromEntries(cache) }));
    await rename(tmp, file);
  } catch {
    /* a cache that cannot be written is only a slower next start */
  }
}

/** a distance between two banners for "closest" suggestions: architecture, darwin version, xnu build, text */
function bannerDistance(a: string, b: string): number[] {
  const pa = parseBanner(a);
  const pb = parseBanner(b);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  if (pa === null || pb === null) return [3, 0, 0, 0, 0, -common];
  const xnuDiff = (): number => {
    const n = Math.max(pa.xnuParts.length, pb.xnuParts.length);
    for (let i = 0; i < n; i++) {
      const d = (pa.xnuParts[i] ?? 0) - (pb.xnuParts[i] ?? 0);
      if (d !== 0) return (4 - Math.min(i, 3)) * 1e6 + Math.min(Math.abs(d), 999999);
    }
    return 0;
  };
  return [
    pa.arch !== pb.arch ? 2 : pa.soc !== pb.soc ? 1 : 0,
    Math.abs(pa.major - pb.major),
    Math.abs(pa.minor - pb.minor),
    Math.abs(pa.patch - pb.patch),
    xnuDiff(),
    -common,
  ];
}

/** up to `n` ISF banners nearest to any of the banners found */
export function closestBanners(found: readonly string[], candidates: readonly string[], n = 3): string[] {
  const uniq = [...new Set(candidates)];
  if (found.length === 0) return uniq.slice(0, n);
  const score = (c: string): number[] =>
    found
      .map((f) => bannerDistance(f, c))
      .reduce((best, d) => {
        for (let i = 0; i < d.length; i++) if (d[i] !== best[i]) return d[i]! < best[i]! ? d : best;
        return best;
      });
  const scored = uniq.map((c) => ({ c, s: score(c) }));
  scored.sort((x, y) => {
    for (let i = 0; i < x.s.length; i++) if (x.s[i] !== y.s[i]) return x.s[i]! - y.s[i]!;
    return x.c < y.c ? -1 : 1;
  });
  return scored.slice(0, n).map((x) => x.c);
}

export interface ChosenSymbols {
  table: IsfSymbolTable;
  /** the banner (found in the image) that the table matches */
  banner: string;
  source: string;
  /** matching files passed over because they could not be used, with the reason */
  skipped: string[];
}

/** ISF entries whose banner equals one of the image's banners, in the order the banners are given */
export function matchEntries(entries: readonly IsfEntry[], bannersFoundInImage: readonly string[]): Array<{ entry: IsfEntry; banner: string }> {
  const out: Array<{ entry: IsfEntry; banner: string }> = [];
  for (const b of bannersFoundInImage) {
    for (const e of entries) if (e.banner !== null && e.banner === b) out.push({ entry: e, banner: b });
  }
  return out;
}

export function noSymbolsError(pathOrFolder: string, entries: readonly IsfEntry[], bannersFoundInImage: readonly string[]): DiscoveryError {
  const isfBanners = entries.map((e) => e.banner).filter((b): b is string => b !== null);
  const closest = closestBanners(bannersFoundInImage, isfBanners);
  const found = bannersFoundInImage.length > 0 ? bannersFoundInImage.map((b) => `  ${b}`).join('\n') : '  (none)';
  const near =
    closest.length > 0
      ? closest.map((b) => `  ${b}  [${entries.find((e) => e.banner === b)?.path ?? '?'}]`).join('\n')
      : '  (no ISF with a banner was found there)';
  return new DiscoveryError(
    'NO_SYMBOLS',
    `No symbol table in ${pathOrFolder} (${entries.length} ISF file${entries.length === 1 ? '' : 's'}) matches the kernel in this image.\n` +
      `Kernel banner(s) found in the image:\n${found}\nClosest ISF banners:\n${near}\n` +
      `Provide the ISF made (dwarf2json) from this exact kernel's Kernel Debug Kit, with --symbols <file-or-folder>.`,
    { source: pathOrFolder, bannersFound: [...bannersFoundInImage], closest, isfCount: entries.length },
  );
}

/**
 * Pick the ISF whose banner matches a banner found in the image and load it. A single file without any
 * banner is accepted as given (validation against the image decides). Throws DiscoveryError('NO_SYMBOLS')
 * listing the banners found and the closest ISF banners when none matches.
 */
export async function chooseSymbols(pathOrFolder: string, bannersFoundInImage: readonly string[]): Promise<ChosenSymbols> {
  const texts = new Map<string, string>();
  const entries = await indexSymbols(pathOrFolder, { wanted: (b) => bannersFoundInImage.includes(b), texts });
  const candidates: Array<{ entry: IsfEntry; banner: string }> = matchEntries(entries, bannersFoundInImage);
  if (candidates.length === 0 && entries.length === 1 && entries[0]!.banner === null && bannersFoundInImage.length > 0) {
    candidates.push({ entry: entries[0]!, banner: bannersFoundInImage[0]! });
  }
  if (candidates.length === 0) throw noSymbolsError(pathOrFolder, entries, bannersFoundInImage);
  // several files may carry the banner: one that cannot be used (damaged types) must not hide a good one
  const skipped: string[] = [];
  let first: unknown = null;
  for (const { entry, banner } of candidates) {
    try {
      const text = texts.get(entry.path);
      texts.delete(entry.path);
      const table = text !== undefined ? parseIsfText(text, entry.path) : await loadTable(entry.path);
      return { table, banner, source: entry.path, skipped };
    } catch (e) {
      if (!(e instanceof DiscoveryError)) throw e;
      first ??= e;
      skipped.push(e.message);
    }
  }
  throw first;
}

export async function loadTable(path: string): Promise<IsfSymbolTable> {
  return parseIsfText(await isfText(await readFile(path), path), path);
}
