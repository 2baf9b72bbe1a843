// A kernel object: the bytes of one struct read from kernel memory, with its fields read by name
// through the symbol table (ISF types, else built-in layouts). Field lookups are resolved once per
// (type, field) in a cache the kernel context owns, so walking thousands of objects costs DataView
// reads, not name lookups.
//
// Reading fields of bytes already in hand never touches memory and never fails on damaged data: a
// pointer that points nowhere is just a number until someone follows it. What can fail is asking for
// a field the symbol table lacks (MissingSymbolError, naming type and field) or using a field as
// what it is not (a struct as a number): both are programming or symbol-table problems, not evidence.
import { MissingSymbolError, UnfoldError } from '../errors';
import { StructError, resolveField, readField, type FieldReader, type FieldReader64, type FieldValue, type ResolvedField } from '../symbols/struct';
import type { SymbolTable, TypeRef } from '../symbols/types';

export type Tables = Pick<SymbolTable, 'baseTypes' | 'userTypes' | 'enums'>;

/** what an object needs from its kernel context */
export interface ObjectTypes {
  readonly tables: Tables;
  /** where the types came from, for error messages */
  readonly typesSource: string;
  /** a field resolved once and cached (throws MissingSymbolError) */
  field(typeName: string, field: string): ResolvedField;
  /** whether the type has the field (cached, never throws for a missing one) */
  hasField(typeName: string, field: string): boolean;
  /** a compiled reader of an integer field (cached) */
  reader64(typeName: string, field: string): FieldReader64;
  /** a compiled number reader of an integer field of ≤ 32 bits, null for wider ones (cached) */
  reader32(typeName: string, field: string): FieldReader | null;
  /** strip pointer-authentication bits of a raw pointer value */
  strip(v: bigint): bigint;
}

const hex = (v: bigint | number): string => '0x' + v.toString(16);

function aggregateName(t: TypeRef): string | null {
  return t.kind === 'struct' || t.kind === 'union' || t.kind === 'class' ? t.name : null;
}

export class KObject {
  readonly view: DataView;
  constructor(
    private readonly types: ObjectTypes,
    /** type name as the symbol table spells it ("proc", "_vm_map", "vm_map_entry") */
    readonly type: string,
    /** kernel virtual address of the object's first byte */
    readonly address: bigint,
    /** the object's bytes (a view: nested objects share their parent's bytes) */
    readonly bytes: Uint8Array,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get size(): number {
    return this.bytes.byteLength;
  }

  /** the field exists in this type (dotted paths and anonymous members included) */
  has(field: string): boolean {
    return this.types.hasField(this.type, field);
  }

  resolve(field: string): ResolvedField {
    return this.types.field(this.type, field);
  }

  offsetOf(field: string): number {
    return this.resolve(field).offset;
  }

  /** kernel VA of a field (its first byte) */
  addressOf(field: string): bigint {
    return this.address + BigInt(this.resolve(field).offset);
  }

  private inside(r: ResolvedField): void {
    if (r.offset + r.size > this.bytes.byteLength) {
      throw new UnfoldError(
        'LAYOUT',
        `${this.type}.${r.field} (offset ${hex(r.offset)}, ${r.size} bytes) lies outside the ${this.bytes.byteLength}-byte ${this.type} read at ${hex(this.address)}`,
        { type: this.type, field: r.field },
      );
    }
  }

  /** any field as struct.ts reads it: numbers, bigint (64-bit), arrays, raw bytes of nested structs */
  get(field: string): FieldValue {
    this.inside(this.resolve(field));
    return readField(this.types.tables, this.view, 0, this.type, field);
  }

  /** an integer, enum, bool or bitfield as a bigint (pointers raw, PAC bits kept) */
  u64(field: string): bigint {
    const r = this.resolve(field);
    this.inside(r);
    if (r.scalar === 'aggregate' || r.scalar === 'array' || r.scalar === 'float') {
      throw new UnfoldError('LAYOUT', `${this.type}.${field} is not an integer field (${r.scalar})`, { type: this.type, field });
    }
    return this.types.reader64(this.type, field)(this.view, 0);
  }

  /**
   * An integer field as a number. 64-bit fields are converted (exact up to 2^53): use u64() for
   * values that may be larger, pointer() for pointers.
   */
  num(field: string): number {
    const r32 = this.types.reader32(this.type, field);
    if (r32 === null) return Number(this.u64(field));
    this.inside(this.resolve(field));
    return r32(this.view, 0);
  }

  bool(field: string): boolean {
    return this.u64(field) !== 0n;
  }

  /** a pointer field (or any 64-bit word) with pointer-authentication bits stripped */
  pointer(field: string): bigint {
    const r = this.resolve(field);
    this.inside(r);
    if (r.size !== 8 || (r.scalar !== 'pointer' && r.scalar !== 'int' && r.scalar !== 'aggregate')) {
      throw new UnfoldError('LAYOUT', `${this.type}.${field} is not a pointer (${r.scalar}, ${r.size} bytes)`, { type: this.type, field });
    }
    // an 8-byte union (c_store, vme_object) is read as the pointer it holds
    return this.types.strip(this.view.getBigUint64(r.offset, true));
  }

  /** the 8 bytes at a field's offset as an unsigned word, nothing stripped (unions such as c_store) */
  raw64(field: string): bigint {
    const r = this.resolve(field);
    if (r.offset + 8 > this.bytes.byteLength) {
      throw new UnfoldError('LAYOUT', `${this.type}.${field}: 8 bytes at offset ${hex(r.offset)} lie outside the ${this.bytes.byteLength}-byte object`, { type: this.type, field });
    }
    return this.view.getBigUint64(r.offset, true);
  }

  /** element `i` of an array of 8-byte values or pointers, raw */
  u64Element(field: string, i: number): bigint {
    const r = this.resolve(field);
    const off = r.offset + i * 8;
    if (r.type.kind !== 'array' || !Number.isInteger(i) || i < 0 || i >= r.type.count || off + 8 > this.bytes.byteLength) {
      throw new UnfoldError('LAYOUT', `${this.type}.${field}[${i}] is not an 8-byte element inside the object`, { type: this.type, field });
    }
    return this.view.getBigUint64(off, true);
  }

  /** the raw bytes of a field (a copy) */
  raw(field: string): Uint8Array {
    const r = this.resolve(field);
    this.inside(r);
    return this.bytes.slice(r.offset, r.offset + r.size);
  }

  /** a char array (p_comm, p_name) up to its first NUL, as UTF-8 (invalid bytes replaced) */
  cstring(field: string): string {
    const b = this.raw(field);
    const end = b.indexOf(0);
    return new TextDecoder('utf-8', { fatal: false }).decode(end < 0 ? b : b.subarray(0, end));
  }

  /** a nested struct or union field as an object sharing these bytes */
  struct(field: string): KObject {
    const r = this.resolve(field);
    this.inside(r);
    const name = aggregateName(r.type);
    if (name === null) throw new UnfoldError('LAYOUT', `${this.type}.${field} is not a struct or union`, { type: this.type, field });
    return new KObject(this.types, name, this.address + BigInt(r.offset), this.bytes.subarray(r.offset, r.offset + r.size));
  }

  /** element `i` of an array-of-structs field, as an object sharing these bytes */
  element(field: string, i: number): KObject {
    const r = this.resolve(field);
    if (r.type.kind !== 'array') throw new UnfoldError('LAYOUT', `${this.type}.${field} is not an array`, { type: this.type, field });
    const name = aggregateName(r.type.subtype);
    if (name === null) throw new UnfoldError('LAYOUT', `${this.type}.${field} is not an array of structs`, { type: this.type, field });
    const elem = this.types.tables.userTypes[name]?.size ?? 0;
    const off = r.offset + i * elem;
    if (!Number.isInteger(i) || i < 0 || i >= r.type.count || off + elem > this.bytes.byteLength) {
      throw new UnfoldError('LAYOUT', `${this.type}.${field}[${i}] lies outside the array (${r.type.count} elements) or the object`, { type: this.type, field });
    }
    return new KObject(this.types, name, this.address + BigInt(off), this.bytes.subarray(off, off + elem));
  }
}

/** resolveField with the error turned into MissingSymbolError (type or field named) */
export function resolveNamed(tables: Tables, source: string, typeName: string, field: string): ResolvedField {
  if (tables.userTypes[typeName] === undefined) throw new MissingSymbolError('type', typeName, source);
  try {
    return resolveField(tables, typeName, field);
  } catch (err) {
    // a StructError (itself an UnfoldError) is the layout saying it has no such field: name it
    if (err instanceof UnfoldError && !(err instanceof StructError)) throw err;
    throw new MissingSymbolError('field', `${typeName}.${field}`, source, (err as Error).message);
  }
}
