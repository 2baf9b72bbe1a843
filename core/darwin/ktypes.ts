// The types a kernel reader sees: the symbol table's own (ISF) types, with built-in layouts filling
// the gaps (or overriding, when asked), and every field lookup resolved once. Objects (kobject.ts)
// read through this; the kernel context holds one, and kernel discovery — which has physical bytes
// but no virtual address space yet — uses one on its own.
import { MissingSymbolError } from '../errors';
import { compileField, compileField64, type FieldReader, type FieldReader64, type ResolvedField } from '../symbols/struct';
import type { BaseType, SymbolTable, UserType } from '../symbols/types';
import type { Arch } from '../translate/types';
import { KObject, resolveNamed, type ObjectTypes, type Tables } from './kobject';
import { FALLBACK_BASE_TYPES } from './layouts';
import { KERNEL_VA_BITS, stripPointer } from './pointers';

interface FieldEntry {
  resolved?: ResolvedField;
  missing?: MissingSymbolError;
  r64?: FieldReader64;
  r32?: FieldReader | null;
}

export class KernelTypes implements ObjectTypes {
  readonly tables: Tables;
  readonly typesSource: string;
  private readonly userTypes: Record<string, UserType>;
  private readonly builtIn: Set<string>;
  /** per type, per field: resolved once (walkers read the same fields of thousands of objects) */
  private readonly cache = new Map<string, Map<string, FieldEntry>>();

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
    this.cache.delete(name);
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

  private entry(typeName: string, field: string): FieldEntry {
    let byField = this.cache.get(typeName);
    if (byField === undefined) this.cache.set(typeName, (byField = new Map()));
    let e = byField.get(field);
    if (e === undefined) {
      try {
        e = { resolved: resolveNamed(this.tables, this.typesSource, typeName, field) };
      } catch (err) {
        if (!(err instanceof MissingSymbolError)) throw err;
        // remembered: walkers ask has() per object, and a throw per ask is slow
        e = { missing: err };
      }
      byField.set(field, e);
    }
    return e;
  }

  field(typeName: string, field: string): ResolvedField {
    const e = this.entry(typeName, field);
    if (e.missing) throw e.missing;
    return e.resolved!;
  }

  hasField(typeName: string, field: string): boolean {
    return this.entry(typeName, field).missing === undefined;
  }

  reader64(typeName: string, field: string): FieldReader64 {
    const e = this.entry(typeName, field);
    if (e.missing) throw e.missing;
    return (e.r64 ??= compileField64(this.tables, typeName, field));
  }

  /** a number reader for integer fields and bitfields of ≤ 32 bits, null for wider ones */
  reader32(typeName: string, field: string): FieldReader | null {
    const e = this.entry(typeName, field);
    if (e.missing) throw e.missing;
    if (e.r32 === undefined) {
      const r = e.resolved!;
      const narrow = r.scalar === 'bitfield' ? r.bitLength! <= 32 : (r.scalar === 'int' || r.scalar === 'enum' || r.scalar === 'bool' || r.scalar === 'char') && r.size <= 4;
      e.r32 = narrow ? compileField(this.tables, typeName, field) : null;
    }
    return e.r32;
  }

  strip(v: bigint): bigint {
    return stripPointer(this.arch, v, this.vaBits);
  }

  /** bytes already in hand (read physically, say) seen as the struct `typeName` at `address` */
  view(typeName: string, address: bigint, bytes: Uint8Array): KObject {
    return new KObject(this, typeName, address, bytes);
  }
}
