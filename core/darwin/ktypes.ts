// The types a kernel reader sees: the symbol table's own (ISF) types, with built-in layouts filling
// the gaps (or overriding, when asked), and every field lookup resolved once. Objects (kobject.ts)
// read through this; the kernel context holds one, and kernel discovery — which has physical bytes
// but no virtual address space yet — uses one on its own.
import { MissingSymbolError } from '../errors';
import { compileField64, type FieldReader64, type ResolvedField } from '../symbols/struct';
import type { BaseType, SymbolTable, UserType } from '../symbols/types';
import type { Arch } from '../translate/types';
import { KObject, resolveNamed, type ObjectTypes, type Tables } from './kobject';
import { FALLBACK_BASE_TYPES } from './layouts';
import { KERNEL_VA_BITS, stripPointer } from './pointers';

export class KernelTypes implements ObjectTypes {
  readonly tables: Tables;
  readonly typesSource: string;
  private readonly userTypes: Record<string, UserType>;
  private readonly builtIn: Set<string>;
  private readonly resolved = new Map<string, ResolvedField>();
  /** fields looked up and not found: walkers ask has() per object, and a throw per ask is slow */
  private readonly absent = new Map<string, MissingSymbolError>();
  private readonly readers = new Map<string, FieldReader64>();

  constructor(
    symbols: Pick<SymbolTable, 'baseTypes' | 'userTypes' | 'enums' | 'source'>,
    readonly arch: Arch,
    /** built-in types that fill gaps in the ISF */
    fallback: Record<string, UserType> = {},
    /** built-in types that win over the ISF's */
    override: Record<string, UserType> = {},
    /** bits of a kernel VA (pointer-authentication bits sit above them) */
    readonly vaBits: number = KERNEL_VA_BITS[arch],
  ) {
    this.userTypes = { ...fallback, ...symbols.userTypes, ...override };
    this.builtIn = new Set([...Object.keys(fallback).filter((n) => symbols.userTypes[n] === undefined), ...Object.keys(override)]);
    const baseTypes: Record<string, BaseType> = { ...FALLBACK_BASE_TYPES, ...symbols.baseTypes };
    this.tables = { baseTypes, userTypes: this.userTypes, enums: symbols.enums };
    this.typesSource = symbols.source;
  }

  /** swap a built-in type for another (before any of its fields were read) */
  replaceBuiltIn(name: string, type: UserType): void {
    if (!this.builtIn.has(name)) throw new Error(`${name} is not a built-in type here`);
    this.userTypes[name] = type;
    for (const m of [this.resolved, this.absent, this.readers]) for (const k of [...m.keys()]) if (k.startsWith(name + '\u0000')) m.delete(k);
  }

  hasType(name: string): boolean {
    return this.userTypes[name] !== undefined;
  }

  /** 'isf' when the symbol table brings the type, 'built-in' for a fallback layout, null when neither */
  typeSource(name: string): 'isf' | 'built-in' | null {
    if (!this.hasType(name)) return null;
    return this.builtIn.has(name) ? 'built-in' : 'isf';
  }

  missingTypes(names: readonly string[]): string[] {
    return names.filter((n) => !this.hasType(n));
  }

  sizeOf(typeName: string): number {
    const t = this.userTypes[typeName];
    if (t === undefined) throw new MissingSymbolError('type', typeName, this.typesSource);
    return t.size;
  }

  field(typeName: string, field: string): ResolvedField {
    const key = typeName + '\u0000' + field;
    let r = this.resolved.get(key);
    if (r === undefined) {
      const known = this.absent.get(key);
      if (known !== undefined) throw known;
      try {
        r = resolveNamed(this.tables, this.typesSource, typeName, field);
      } catch (err) {
        if (err instanceof MissingSymbolError) this.absent.set(key, err);
        throw err;
      }
      this.resolved.set(key, r);
    }
    return r;
  }

  hasField(typeName: string, field: string): boolean {
    const key = typeName + '\u0000' + field;
    if (this.resolved.has(key)) return true;
    if (this.absent.has(key)) return false;
    try {
      this.field(typeName, field);
      return true;
    } catch (err) {
      if (err instanceof MissingSymbolError) return false;
      throw err;
    }
  }

  reader64(typeName: string, field: string): FieldReader64 {
    const key = typeName + '\u0000' + field;
    let r = this.readers.get(key);
    if (r === undefined) {
      this.field(typeName, field);
      r = compileField64(this.tables, typeName, field);
      this.readers.set(key, r);
    }
    return r;
  }

  strip(v: bigint): bigint {
    return stripPointer(this.arch, v, this.vaBits);
  }

  /** bytes already in hand (read physically, say) seen as the struct `typeName` at `address` */
  view(typeName: string, address: bigint, bytes: Uint8Array): KObject {
    return new KObject(this, typeName, address, bytes);
  }
}
