// libyara (YARA 4.5) compiled to WebAssembly: the YARA engine on every platform without a native YARA-X
// binding (macOS, Windows, Linux arm64). The module (core/search/libyara-wasm, built by its build.sh) embeds the
// wasm binary, so it loads synchronously, in any thread, with no file, network or native code.
//
// Each page is copied into the wasm heap (a 4–16 KiB copy is small next to the scan) and scanned with one
// call; the matches come back as a flat int32 array (rule index, offset, length) read straight from the
// heap, so a page without a match allocates nothing on the JavaScript side. Rules and scanners live in
// wasm memory; they are freed when the rule set object is collected.

import createLibyara, { type LibyaraModule } from './libyara-wasm/libyara.mjs';
import { YaraCompileFailure, type YaraEngine, type YaraProblem, type YaraRuleSet } from './yara-engine';

const INCLUDE_REFUSED = 'includes are disabled';

let lib: LibyaraModule | null = null;

function libyara(): LibyaraModule {
  if (lib) return lib;
  const m: Partial<LibyaraModule> = {};
  // Compilation is synchronous in this build: the module is ready when the factory returns.
  void createLibyara(m);
  const ready = m as LibyaraModule;
  if (typeof ready._uy_init !== 'function') throw new Error('the libyara WebAssembly module did not initialise synchronously');
  const rc = ready._uy_init();
  if (rc !== 0) throw new Error(`libyara failed to initialise (error ${rc})`);
  lib = ready;
  return lib;
}

function withCString<T>(m: LibyaraModule, s: string, f: (ptr: number) => T): T {
  const n = m.lengthBytesUTF8(s) + 1;
  const p = m._malloc(n);
  if (!p) throw new Error('the libyara WebAssembly heap is exhausted');
  try {
    m.stringToUTF8(s, p, n);
    return f(p);
  } finally {
    m._free(p);
  }
}

/** Compiles; returns the rules handle (caller frees) or the first problem. */
function compileRaw(m: LibyaraModule, source: string): number | YaraProblem {
  const rules = withCString(m, source, (p) => m._uy_compile(p));
  if (rules) return rules;
  const message = m.UTF8ToString(m._uy_error_message());
  const line = m._uy_error_line();
  return { message, line: line > 0 ? line : undefined, include: message === INCLUDE_REFUSED };
}

// Scanner and rules are freed together once the rule set is unreachable.
interface Handles {
  rules: number;
  scanner: number;
  /** the page buffer in the wasm heap (0 until the first scan) */
  buf: number;
  cap: number;
}

// Scanner, rules and page buffer are freed together once the rule set is unreachable.
const finalizer = new FinalizationRegistry<Handles>((h) => {
  if (!lib) return;
  if (h.buf) lib._free(h.buf);
  lib._uy_scanner_free(h.scanner);
  lib._uy_rules_free(h.rules);
});

export function loadWasmEngine(): YaraEngine {
  const m = libyara();
  const version = m.UTF8ToString(m._uy_version());
  return {
    info: { kind: 'wasm', label: `libyara ${version} (wasm)` },
    check(source) {
      const r = compileRaw(m, source);
      if (typeof r !== 'number') return r;
      m._uy_rules_free(r);
      return null;
    },
    compile(source) {
      const rules = compileRaw(m, source);
      if (typeof rules !== 'number') throw new YaraCompileFailure(rules);
      const scanner = m._uy_scanner(rules);
      if (!scanner) {
        m._uy_rules_free(rules);
        throw new YaraCompileFailure({ message: 'libyara could not create a scanner (out of memory)' });
      }
      const names: string[] = [];
      for (let i = 0, n = m._uy_rule_count(rules); i < n; i++) names.push(m.UTF8ToString(m._uy_rule_name(rules, i)));
      const h: Handles = { rules, scanner, buf: 0, cap: 0 };
      const set = wasmRuleSet(m, h, names);
      finalizer.register(set, h);
      return set;
    },
  };
}

function wasmRuleSet(m: LibyaraModule, h: Handles, names: string[]): YaraRuleSet {
  return {
    scan(page, push) {
      if (page.length > h.cap) {
        if (h.buf) m._free(h.buf);
        h.cap = 0;
        h.buf = m._malloc(Math.max(page.length, 16384));
        if (!h.buf) throw new Error('the libyara WebAssembly heap is exhausted');
        h.cap = Math.max(page.length, 16384);
      }
      // HEAPU8 is replaced when the heap grows, so it is read after every call that may allocate.
      m.HEAPU8.set(page, h.buf);
      const n = m._uy_scan(h.scanner, h.buf, page.length);
      if (n < 0) throw new Error(`libyara scan failed (error ${-n})`);
      if (n === 0) return;
      const heap = m.HEAP32;
      let at = m._uy_matches(h.scanner) >> 2;
      for (let i = 0; i < n; i++, at += 3) push(heap[at + 1]!, heap[at + 2]!, names[heap[at]!]!);
    },
  };
}
