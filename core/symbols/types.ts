// The shapes of a Volatility 3 ISF (schema 6.x). Built-in fallback layouts (core/darwin/layouts.ts)
// use the same shapes, so one struct reader (core/symbols/struct.ts) serves both.

export type TypeRef =
  | { kind: 'base'; name: string }
  | { kind: 'pointer'; subtype?: TypeRef; base?: string }
  | { kind: 'array'; count: number; subtype: TypeRef }
  | { kind: 'struct' | 'union' | 'class'; name: string }
  | { kind: 'enum'; name: string }
  | { kind: 'bitfield'; bit_position: number; bit_length: number; type: TypeRef }
  | { kind: 'function' };

export interface FieldDef {
  offset: number;
  type: TypeRef;
  anonymous?: boolean;
}

export interface UserType {
  kind: 'struct' | 'union' | 'class';
  size: number;
  fields: Record<string, FieldDef>;
}

export interface BaseType {
  size: number;
  signed: boolean;
  kind: 'void' | 'int' | 'float' | 'char' | 'bool';
  endian: 'little' | 'big';
}

export interface EnumType {
  size: number;
  base: string;
  constants: Record<string, number>;
}

export interface SymbolTable {
  /** where it came from: an ISF path, or "built-in layout F4" */
  readonly source: string;
  /** "Darwin Kernel Version …" from symbols.version.constant_data (NUL stripped), or null */
  readonly banner: string | null;
  readonly baseTypes: Readonly<Record<string, BaseType>>;
  readonly userTypes: Readonly<Record<string, UserType>>;
  readonly enums: Readonly<Record<string, EnumType>>;
  /** unslid link address of a symbol (names without the Mach-O underscore), or undefined */
  symbolAddress(name: string): bigint | undefined;
  hasSymbol(name: string): boolean;
  /** names of all symbols (for diagnostics) */
  symbolNames(): Iterable<string>;
}
