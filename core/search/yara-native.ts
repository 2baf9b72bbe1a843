// YARA-X through its napi binding (@litko/yara-x-<platform>), loaded only where a platform package is
// installed. Today only Linux x64 (glibc) has one: the wrapper's darwin packages were never published.
//
// Cost model, measured on the development machine (x86_64, 2 cores, Node 20, binding 0.3.0): one `scan()`
// costs 1.1 µs when idle (about 2 µs under load) whatever the data size, and a realistic 4 KiB page with a
// rule that matches nothing costs about 2.6 µs in all, so per-call overhead is most of YARA's cost per page.
// Pages must still be scanned one call each: gluing pages into one buffer would let string matches span
// unrelated pages and make conditions (`#a > 3`, `filesize`) count over the wrong data. Each match becomes
// a JS object, so rules whose strings hit thousands of times per page are much slower than silent ones.

import { createRequire } from 'node:module';
import { YaraCompileFailure, type YaraEngine, type YaraProblem, type YaraRuleSet } from './yara-engine';

interface NativeMatch {
  offset: number;
  length: number;
  identifier: string;
}
interface NativeRuleMatch {
  ruleIdentifier: string;
  matches: NativeMatch[];
}
interface NativeRules {
  scan(data: Buffer): NativeRuleMatch[];
}
interface NativeDiagnostic {
  code: string;
  message: string;
  line?: number;
  column?: number;
}
/** Compiler options of the binding; includes are always turned off (see yara.ts). */
interface NativeOptions {
  enableIncludes: boolean;
}
interface NativeModule {
  compile(source: string, options: NativeOptions): NativeRules;
  validate(source: string, options: NativeOptions): { warnings: NativeDiagnostic[]; errors: NativeDiagnostic[] };
}

const OPTIONS: NativeOptions = { enableIncludes: false };
/** YARA-X's error code for an include statement when includes are disabled */
const INCLUDE_REFUSED = 'E044';
/** the YARA-X release inside each binding version (from the crate paths the binary carries) */
const YARA_X_IN_BINDING: Record<string, string> = { '0.3.0': '1.7.1' };

/** The binding's package name for this platform (napi-rs naming). */
export function nativePackageName(platform: string = process.platform, arch: string = process.arch): string {
  const libc = platform === 'linux' ? '-gnu' : platform === 'win32' ? '-msvc' : '';
  return `@litko/yara-x-${platform}-${arch}${libc}`;
}

/** Loads the binding, or returns why it cannot be had here (the reason is one line). */
export function loadNativeEngine(): YaraEngine | string {
  const require = createRequire(import.meta.url);
  const name = nativePackageName();
  let mod: NativeModule;
  let version = '?';
  try {
    mod = require(name) as NativeModule;
  } catch (e) {
    return `${name}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }
  try {
    version = (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    // the version only labels the engine
  }
  const yaraX = YARA_X_IN_BINDING[version];
  const label = yaraX ? `yara-x ${yaraX} (native)` : `yara-x (native, ${name} ${version})`;
  return {
    info: { kind: 'native', label },
    check(source) {
      const first = mod.validate(source, OPTIONS).errors[0];
      return first ? problemOf(first) : null;
    },
    compile(source) {
      let rules: NativeRules;
      try {
        rules = mod.compile(source, OPTIONS);
      } catch (e) {
        throw new YaraCompileFailure(problemFromThrown(e));
      }
      return nativeRuleSet(rules);
    },
  };
}

// YARA-X writes "--> line:L:C" where a file name would stand (yara.ts puts the origin there); the
// binding's diagnostics carry no line field of their own, so it is read from there.
function position(message: string): { line?: number; column?: number } {
  const m = /-->\s*line:(\d+):(\d+)/.exec(message);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : {};
}

function problemOf(d: NativeDiagnostic): YaraProblem {
  return { message: d.message, code: d.code, line: d.line, column: d.column, ...position(d.message), include: d.code === INCLUDE_REFUSED };
}

function problemFromThrown(e: unknown): YaraProblem {
  const message = e instanceof Error ? e.message : String(e);
  const code = /\((E\d+)\)/.exec(message)?.[1];
  return { message, code, ...position(message), include: code === INCLUDE_REFUSED };
}

function nativeRuleSet(rules: NativeRules): YaraRuleSet {
  return {
    scan(page, push) {
      // A Buffer view over the same memory: the engine reads the page in place, nothing is copied.
      const buf = Buffer.isBuffer(page) ? page : Buffer.from(page.buffer, page.byteOffset, page.byteLength);
      for (const r of rules.scan(buf)) {
        if (r.matches.length === 0) push(0, 0, r.ruleIdentifier);
        else for (const m of r.matches) push(m.offset, m.length, r.ruleIdentifier);
      }
    },
  };
}
