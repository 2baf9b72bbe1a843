// Types of the emscripten module that build.sh makes from unfold_yara.c (only what core/search/yara-wasm.ts uses).
export interface LibyaraModule {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  UTF8ToString(ptr: number): string;
  stringToUTF8(s: string, ptr: number, max: number): void;
  lengthBytesUTF8(s: string): number;
  _malloc(n: number): number;
  _free(ptr: number): void;
  _uy_init(): number;
  _uy_version(): number;
  _uy_compile(source: number): number;
  _uy_error_message(): number;
  _uy_error_line(): number;
  _uy_rules_free(rules: number): void;
  _uy_rule_count(rules: number): number;
  _uy_rule_name(rules: number, index: number): number;
  _uy_scanner(rules: number): number;
  _uy_scanner_free(scanner: number): void;
  _uy_scan(scanner: number, data: number, length: number): number;
  _uy_matches(scanner: number): number;
}
/** Instantiates synchronously (the wasm is embedded): the object passed in is filled before this returns. */
declare function createLibyara(into: Partial<LibyaraModule>): Promise<LibyaraModule>;
export default createLibyara;
