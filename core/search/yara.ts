// The YARA engine adapter: loads rule files (main thread, I/O) and compiles them into a page scanner
// (any thread, no I/O) on one of two engines (yara-engine.ts):
// - native: YARA-X through its napi binding, where a platform package is installed (Linux x64 today);
// - wasm: libyara 4.5 compiled to WebAssembly, shipped in the repository, which runs everywhere.
// The native engine is preferred; UNFOLD_YARA_ENGINE=native|wasm forces one (a forced engine that cannot
// be loaded is an error, not a silent fallback). Both report the same hits for the same rules and pages
// (test/search/yara-engines.test.ts); yaraEngineInfo() says which one runs, for the app and the CLI.
//
// Several files are compiled into ONE rule set (one scan per page) when their rule names do not clash;
// if they do (two files both define `rule x`), each file gets its own rule set and the page is scanned once
// per file. Each file is first checked alone so that a syntax error names that file and line.
//
// `include` statements are refused by both engines (YARA-X with includes disabled, libyara without an
// include callback): rules are compiled from the text given and Unfold never opens a file a rule names,
// so `include "/etc/passwd"` cannot leak a line of that file into an error and `include "/dev/zero"`
// cannot exhaust memory. The included file can be given as another rules file instead.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { QueryError, type YaraSource } from './query';
import { YaraCompileFailure, type YaraEngine, type YaraEngineInfo, type YaraEngineKind, type YaraProblem, type YaraRuleSet } from './yara-engine';
import { loadNativeEngine } from './yara-native';
import { loadWasmEngine } from './yara-wasm';

export type { YaraEngineInfo, YaraEngineKind } from './yara-engine';

/** The environment variable that forces an engine. */
export const YARA_ENGINE_ENV = 'UNFOLD_YARA_ENGINE';

const engines = new Map<YaraEngineKind, YaraEngine | string>();

function load(kind: YaraEngineKind): YaraEngine | string {
  let e = engines.get(kind);
  if (e === undefined) {
    try {
      e = kind === 'native' ? loadNativeEngine() : loadWasmEngine();
    } catch (err) {
      e = err instanceof Error ? err.message : String(err);
    }
    engines.set(kind, e);
  }
  return e;
}

/** The engine asked for (argument, else UNFOLD_YARA_ENGINE), else native where it loads, else wasm. */
function yaraEngine(kind?: YaraEngineKind): YaraEngine {
  const forced = kind ?? forcedKind();
  if (forced) {
    const e = load(forced);
    if (typeof e === 'string') {
      throw new QueryError('yara', '(engine)', `the ${forced} YARA engine is not available on ${process.platform}-${process.arch}: ${e}`);
    }
    return e;
  }
  const native = load('native');
  if (typeof native !== 'string') return native;
  const wasm = load('wasm');
  if (typeof wasm === 'string') {
    throw new QueryError('yara', '(engine)', `no YARA engine is available on ${process.platform}-${process.arch}: native: ${native}; wasm: ${wasm}`);
  }
  return wasm;
}

function forcedKind(): YaraEngineKind | undefined {
  const v = process.env[YARA_ENGINE_ENV]?.trim().toLowerCase();
  if (!v || v === 'auto') return undefined;
  if (v === 'native' || v === 'wasm') return v;
  throw new QueryError('yara', '(engine)', `${YARA_ENGINE_ENV} must be native, wasm or auto, not "${process.env[YARA_ENGINE_ENV]}"`);
}

/** Which engine a YARA search runs on here (loading it if needed); throws a QueryError when none can. */
export function yaraEngineInfo(kind?: YaraEngineKind): YaraEngineInfo {
  return yaraEngine(kind).info;
}

/** Whether an engine of this kind loads on this machine (for tests and benchmarks). */
export function yaraEngineAvailable(kind: YaraEngineKind): boolean {
  return typeof load(kind) !== 'string';
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

/** The words for a refused include, the same for both engines; no path and nothing of any file. */
export const INCLUDE_REFUSED =
  'include statements are refused: Unfold compiles rules only from the text it is given and never opens a file a rule names; give the included file as another rules file';

function queryErrorFor(origin: string, p: YaraProblem): QueryError {
  if (p.include) {
    return new QueryError('yara', origin, `${INCLUDE_REFUSED}${p.line ? ` (line ${p.line})` : ''}`, { code: p.code ?? 'include', line: p.line });
  }
  // The engines point at "line:L:C" (YARA-X) or give a bare line (libyara); name the file so the reader can open it.
  let msg = p.message.replace(/-->\s*line:/, `--> ${origin}:`);
  if (p.line !== undefined && !msg.includes(`${origin}:`)) msg = `${origin}:${p.line}: ${msg}`;
  return new QueryError('yara', origin, msg, { code: p.code, line: p.line, column: p.column });
}

/** Checks one source and throws a QueryError naming the origin, line and the engine's reason. */
export function checkYaraSource(src: YaraSource, kind?: YaraEngineKind): void {
  const y = yaraEngine(kind);
  let problem: YaraProblem | null;
  try {
    problem = y.check(src.source);
  } catch (e) {
    throw new QueryError('yara', src.origin, e instanceof Error ? e.message : String(e));
  }
  if (problem) throw queryErrorFor(src.origin, problem);
}

/** Compiled rules that scan one page and report each string match as (offset, length, 'yara:<rule>'). */
export interface YaraScanner {
  readonly ruleSets: number;
  /** the engine the rules were compiled for */
  readonly engine: YaraEngineInfo;
  /**
   * Matches of a rule that has strings are reported one by one. A rule that matched without any string
   * match (a condition such as `filesize == 4096`) is reported once, at offset 0 with length 0.
   */
  scan(page: Uint8Array, push: (offset: number, length: number, label: string) => void): void;
}

export function compileYara(sources: YaraSource[], kind?: YaraEngineKind): YaraScanner {
  const y = yaraEngine(kind);
  for (const s of sources) checkYaraSource(s, kind);
  let sets: YaraRuleSet[];
  try {
    // Newline between files so a file without a final newline cannot glue onto the next one.
    sets = [y.compile(sources.map((s) => s.source).join('\n'))];
  } catch {
    // Files that compile alone but not together clash on rule names: keep them apart.
    sets = sources.map((s) => {
      try {
        return y.compile(s.source);
      } catch (e) {
        if (e instanceof YaraCompileFailure) throw queryErrorFor(s.origin, e.problem);
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
    engine: y.info,
    scan(page, push) {
      for (const set of sets) set.scan(page, (offset, length, rule) => push(offset, length, label(rule)));
    },
  };
}
