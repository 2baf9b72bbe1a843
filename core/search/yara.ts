// The YARA engine adapter: loads rule files (main thread, I/O) and compiles them into a page scanner
// (any thread, no I/O) on top of YARA-X (@litko/yara-x, native, napi).
//
// Cost model, measured on this machine (x86_64, 2 cores, Node 20, @litko/yara-x 0.3.0): one `scan()` call
// costs 1.1 µs when idle (about 2 µs under load) whatever the data size, and a realistic 4 KiB page with a
// rule that matches nothing costs about 2.6 µs in all, so per-call overhead is most of YARA's cost per
// page (about 0.1–0.2 s per 100k pages). Pages must still be scanned one call each: gluing pages into one
// buffer would let string matches span unrelated pages and make conditions (`#a > 3`, `filesize`) count
// over the wrong data. A compiled rule set holds its scanner and reuses it between calls, so a Matcher
// compiles once and calls `scan()` per page. Each match that YARA-X returns becomes a JS object, so rules
// whose strings hit thousands of times per page are much slower than silent ones.
//
// Several files are compiled into ONE rule set (one scan per page) when their rule names do not clash;
// if they do (two files both define `rule x`), each file gets its own rule set and the page is scanned once
// per file. Each file is first compiled alone so that a syntax error names that file, line and column.
// `include` statements are not followed (rules are compiled from text; pass the included file too).

import { createRequire } from 'node:module';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { QueryError, type YaraSource } from './query';

interface YaraMatchData {
  offset: number;
  length: number;
  identifier: string;
}
interface YaraRuleMatch {
  ruleIdentifier: string;
  namespace: string;
  matches: YaraMatchData[];
}
interface YaraRules {
  scan(data: Buffer): YaraRuleMatch[];
}
interface YaraCompileError {
  code: string;
  message: string;
  line?: number;
  column?: number;
}
interface YaraModule {
  compile(source: string): YaraRules;
  validate(source: string): { warnings: YaraCompileError[]; errors: YaraCompileError[] };
}

let engine: YaraModule | null = null;

/** Loads the native engine on first use, so search without YARA works even where the addon is missing. */
function yaraModule(): YaraModule {
  if (engine) return engine;
  // YARA-X's per-platform napi binding is loaded directly: its wrapper package names optional
  // platform packages that were never published, which breaks `npm ci` on a clean machine.
  const require = createRequire(import.meta.url);
  const libc = process.platform === 'linux' ? '-gnu' : process.platform === 'win32' ? '-msvc' : '';
  const candidates = [`@litko/yara-x-${process.platform}-${process.arch}${libc}`, '@litko/yara-x'];
  const failures: string[] = [];
  for (const name of candidates) {
    try {
      engine = require(name) as YaraModule;
      return engine;
    } catch (e) {
      failures.push(`${name}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  throw new QueryError('yara', '(engine)', `the YARA engine (YARA-X) is not available on ${process.platform}-${process.arch}: ${failures.join('; ')}`);
}

const RULE_EXTENSIONS = new Set(['.yar', '.yara']);

/**
 * Reads YARA rules from files or folders. A folder is walked recursively (sorted, hidden entries skipped)
 * for `*.yar` / `*.yara`; a file named directly is read whatever its extension.
 */
export async function loadYaraRules(paths: string | string[]): Promise<YaraSource[]> {
  const out: YaraSource[] = [];
  for (const p of Array.isArray(paths) ? paths : [paths]) {
    let st;
    try {
      st = await fsp.stat(p);
    } catch (e) {
      throw new QueryError('yara', p, `cannot read rules: ${ioReason(e)}`);
    }
    if (st.isDirectory()) {
      const files = await ruleFilesIn(p);
      if (files.length === 0) throw new QueryError('yara', p, 'the folder holds no .yar or .yara files');
      for (const f of files) out.push({ source: await readRule(f), origin: f });
    } else {
      out.push({ source: await readRule(p), origin: p });
    }
  }
  return out;
}

async function ruleFilesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch (e) {
      throw new QueryError('yara', d, `cannot list the rules folder: ${ioReason(e)}`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && RULE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) found.push(full);
    }
  };
  await walk(dir);
  return found;
}

async function readRule(file: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new QueryError('yara', file, `cannot read the rule file: ${ioReason(e)}`);
  }
}

function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err && err.code ? `${err.code} (${err.message})` : String(e);
}

/** Checks one source and throws a QueryError naming the origin, line and the engine's reason. */
export function checkYaraSource(src: YaraSource): void {
  const y = yaraModule();
  let result;
  try {
    result = y.validate(src.source);
  } catch (e) {
    throw new QueryError('yara', src.origin, e instanceof Error ? e.message : String(e));
  }
  const first = result.errors[0];
  if (first) {
    // The engine's message points at "line:L:C"; name the file instead so the reader can open it.
    const msg = first.message.replace(/-->\s*line:/, `--> ${src.origin}:`);
    throw new QueryError('yara', src.origin, msg, { code: first.code, line: first.line, column: first.column });
  }
}

/** Compiled rules that scan one page and report each string match as (offset, length, 'yara:<rule>'). */
export interface YaraScanner {
  readonly ruleSets: number;
  /**
   * Matches of a rule that has strings are reported one by one. A rule that matched without any string
   * match (a condition such as `filesize == 4096`) is reported once, at offset 0 with length 0.
   */
  scan(page: Uint8Array, push: (offset: number, length: number, label: string) => void): void;
}

export function compileYara(sources: YaraSource[]): YaraScanner {
  const y = yaraModule();
  for (const s of sources) checkYaraSource(s);
  let sets: YaraRules[];
  try {
    // Newline between files so a file without a final newline cannot glue onto the next one.
    sets = [y.compile(sources.map((s) => s.source).join('\n'))];
  } catch {
    // Files that compile alone but not together clash on rule names: keep them apart.
    sets = sources.map((s) => {
      try {
        return y.compile(s.source);
      } catch (e) {
        throw new QueryError('yara', s.origin, e instanceof Error ? e.message : String(e));
      }
    });
  }
  const labels = new Map<string, string>();
  const label = (rule: string): string => {
    let l = labels.get(rule);
    if (l === undefined) labels.set(rule, (l = 'yara:' + rule));
    return l;
  };
  return {
    ruleSets: sets.length,
    scan(page, push) {
      // A Buffer view over the same memory: the engine reads the page in place, nothing is copied.
      const buf = Buffer.isBuffer(page) ? page : Buffer.from(page.buffer, page.byteOffset, page.byteLength);
      for (const set of sets) {
        const rules = set.scan(buf);
        for (const r of rules) {
          const l = label(r.ruleIdentifier);
          if (r.matches.length === 0) push(0, 0, l);
          else for (const m of r.matches) push(m.offset, m.length, l);
        }
      }
    },
  };
}
