// What a YARA engine gives the adapter in yara.ts. Two engines implement it: YARA-X through its native
// binding (yara-native.ts) where a platform package exists, and libyara compiled to WebAssembly
// (yara-wasm.ts), which runs everywhere Node does. The adapter picks one; nothing else sees which.

export type YaraEngineKind = 'native' | 'wasm';

export interface YaraEngineInfo {
  kind: YaraEngineKind;
  /** what ran, in words shown to the examiner: "yara-x 1.7.1 (native)", "libyara 4.5.8 (wasm)" */
  label: string;
}

/** The first error an engine found in a rules source. */
export interface YaraProblem {
  message: string;
  line?: number;
  column?: number;
  code?: string;
  /** the error is an `include` statement, which both engines are set to refuse */
  include?: boolean;
}

/** Rules compiled once; `scan` reports every string match, and a rule that matched with none at (0, 0). */
export interface YaraRuleSet {
  scan(page: Uint8Array, push: (offset: number, length: number, rule: string) => void): void;
}

export interface YaraEngine {
  readonly info: YaraEngineInfo;
  /** the first error in `source`, or null when it compiles */
  check(source: string): YaraProblem | null;
  /** compiles `source`; throws YaraCompileFailure when it does not compile */
  compile(source: string): YaraRuleSet;
}

export class YaraCompileFailure extends Error {
  constructor(readonly problem: YaraProblem) {
    super(problem.message);
  }
}
