// Read struct fields by type and field name, from an ISF or a built-in layout (same shapes).
//
// Bitfields: dwarf2json may place a bitfield at its containing byte with bit_position < 8 (10.13
// c_state: offset 0x33 bit 0) or at the declared base type's offset (0x30 bit 24). Both name the
// same bit, `offset*8 + bit_position` from the struct start (little-endian), so every bitfield is
// read from that absolute bit over just the bytes it spans — never over a word the ISF happens to
// name, which could run past the struct.
import type { SymbolTable, TypeRef, UserType } from './types';
import { UnfoldError } from '../errors';

/** A type or field the reader was asked for that the layout does not have or cannot be read as asked. */
export class StructError extends UnfoldError {
  constructor(message: string) {
    super('LAYOUT', message);
    this.name = 'StructError';
  }
}

type Tables = Pick<SymbolTable, 'baseTypes' | 'userTypes' | 'enums'>;

export interface ResolvedField {
  typeName: string;
  field: string;
  /** byte offset from the struct start (for bitfields: the byte holding the first bit) */
  offset: number;
  /** bytes the field occupies (bitfields: bytes spanned) */
  size: number;
  type: TypeRef;
  /** scalar kind of the value read */
  scalar: 'int' | 'pointer' | 'bitfield' | 'enum' | 'bool' | 'char' | 'float' | 'aggregate' | 'array';
  signed: boolean;
  /** bitfields: absolute first bit from the struct start, and length */
  bitStart?: number;
  bitLength?: number;
}

export function userType(t: Tables, name: string): UserType {
  const u = t.userTypes[name];
  if (u === undefined) throw new StructError(`type ${name} is not in the symbol table`);
  return u;
}

/** size in bytes of a type descriptor */
export function sizeOfType(t: Tables, ref: TypeRef): number {
  switch (ref.kind) {
    case 'base': {
      const b = t.baseTypes[ref.name];
      if (b === undefined) throw new StructError(`base type ${ref.name} is not in the symbol table`);
      return b.size;
    }
    case 'pointer':
      return t.baseTypes['pointer']?.size ?? 8;
    case 'array':
      return ref.count * sizeOfType(t, ref.subtype);
    case 'struct':
    case 'union':
    case 'class':
      return userType(t, ref.name).size;
    case 'enum': {
      const e = t.enums[ref.name];
      if (e === undefined) throw new StructError(`enum ${ref.name} is not in the symbol table`);
      return e.size;
    }
    case 'bitfield':
      return sizeOfType(t, ref.type);
    case 'function':
      return 0;
  }
}

function isSigned(t: Tables, ref: TypeRef): boolean {
  if (ref.kind === 'base') return t.baseTypes[ref.name]?.signed ?? false;
  if (ref.kind === 'enum') {
    const e = t.enums[ref.name];
    return e !== undefined ? (t.baseTypes[e.base]?.signed ?? false) : false;
  }
  if (ref.kind === 'bitfield') return isSigned(t, ref.type);
  return false;
}

/** find a field by name or dotted path; anonymous members (unions/structs) are searched through */
function locate(t: Tables, typeName: string, path: string): { offset: number; type: TypeRef } {
  let offset = 0;
  let current = typeName;
  const parts = path.split('.');
  let type: TypeRef | undefined;
  for (let i = 0; i < parts.length; i++) {
    const found = findIn(t, userType(t, current), parts[i]!, 0);
    if (found === null) throw new StructError(`type ${current} has no field ${parts[i]}`);
    offset += found.offset;
    type = found.type;
    if (i < parts.length - 1) {
      if (type.kind !== 'struct' && type.kind !== 'union' && type.kind !== 'class') {
        throw new StructError(`${current}.${parts[i]} is not a struct, cannot read .${parts[i + 1]}`);
      }
      current = type.name;
    }
  }
  return { offset, type: type! };
}

function findIn(t: Tables, u: UserType, name: string, depth: number): { offset: number; type: TypeRef } | null {
  const f = u.fields[name];
  if (f !== undefined) return { offset: f.offset, type: f.type };
  if (depth > 6) return null;
  for (const inner of Object.values(u.fields)) {
    if (!inner.anonymous) continue;
    const ty = inner.type;
    if (ty.kind !== 'struct' && ty.kind !== 'union' && ty.kind !== 'class') continue;
    const r = findIn(t, userType(t, ty.name), name, depth + 1);
    if (r !== null) return { offset: inner.offset + r.offset, type: r.type };
  }
  return null;
}

export function resolveField(t: Tables, typeName: string, field: string): ResolvedField {
  const { offset, type } = locate(t, typeName, field);
  const base = { typeName, field, type };
  switch (type.kind) {
    case 'bitfield': {
      const bitStart = offset * 8 + type.bit_position;
      const first = Math.floor(bitStart / 8);
      const last = Math.floor((bitStart + type.bit_length - 1) / 8);
      return { ...base, offset: first, size: last - first + 1, scalar: 'bitfield', signed: isSigned(t, type.type), bitStart, bitLength: type.bit_length };
    }
    case 'pointer':
      return { ...base, offset, size: sizeOfType(t, type), scalar: 'pointer', signed: false };
    case 'base': {
      const b = t.baseTypes[type.name];
      if (b === undefined) throw new StructError(`base type ${type.name} is not in the symbol table`);
      const scalar = b.kind === 'void' ? 'aggregate' : b.kind;
      return { ...base, offset, size: b.size, scalar, signed: b.signed };
    }
    case 'enum':
      return { ...base, offset, size: sizeOfType(t, type), scalar: 'enum', signed: isSigned(t, type) };
    case 'array':
      return { ...base, offset, size: sizeOfType(t, type), scalar: 'array', signed: false };
    default:
      return { ...base, offset, size: sizeOfType(t, type), scalar: 'aggregate', signed: false };
  }
}

export function fieldOffset(t: Tables, typeName: string, field: string): number {
  return resolveField(t, typeName, field).offset;
}

export function hasField(t: Tables, typeName: string, field: string): boolean {
  try {
    resolveField(t, typeName, field);
    return true;
  } catch {
    return false;
  }
}

function toView(bytes: Uint8Array | DataView): DataView {
  return bytes instanceof DataView ? bytes : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function readBits(view: DataView, byteBase: number, bitStart: number, bitLength: number, signed: boolean): bigint {
  const first = Math.floor(bitStart / 8);
  const nbytes = Math.floor((bitStart + bitLength - 1) / 8) - first + 1;
  let v = 0n;
  for (let i = nbytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(view.getUint8(byteBase + first + i));
  v = (v >> BigInt(bitStart % 8)) & ((1n << BigInt(bitLength)) - 1n);
  if (signed && bitLength > 0 && v >> BigInt(bitLength - 1) === 1n) v -= 1n << BigInt(bitLength);
  return v;
}

function readScalar(view: DataView, at: number, size: number, signed: boolean): bigint {
  switch (size) {
    case 1:
      return BigInt(signed ? view.getInt8(at) : view.getUint8(at));
    case 2:
      return BigInt(signed ? view.getInt16(at, true) : view.getUint16(at, true));
    case 4:
      return BigInt(signed ? view.getInt32(at, true) : view.getUint32(at, true));
    case 8:
      return signed ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
    default:
      throw new StructError(`cannot read a ${size}-byte scalar`);
  }
}

export type FieldValue = number | bigint | boolean | FieldValue[] | Uint8Array;

/**
 * Read one field of `typeName` located at `base` in `bytes`. Integers ≤ 32 bits and bitfields ≤ 32 bits
 * come back as numbers, 64-bit integers and pointers as bigint, arrays as arrays (char arrays as bytes),
 * nested structs as their raw bytes. Throws RangeError when the field lies outside `bytes`.
 */
export function readField(t: Tables, bytes: Uint8Array | DataView, base: number, typeName: string, field: string): FieldValue {
  const view = toView(bytes);
  const r = resolveField(t, typeName, field);
  return readTyped(t, view, base + r.offset, r.type, r, base);
}

function readTyped(t: Tables, view: DataView, at: number, type: TypeRef, r: ResolvedField | null, structBase: number): FieldValue {
  switch (type.kind) {
    case 'bitfield': {
      const v = readBits(view, structBase, r!.bitStart!, r!.bitLength!, r!.signed);
      return r!.bitLength! <= 32 ? Number(v) : v;
    }
    case 'pointer':
      return readScalar(view, at, sizeOfType(t, type), false);
    case 'base': {
      const b = t.baseTypes[type.name]!;
      if (b.kind === 'float') return b.size === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true);
      if (b.kind === 'bool') return view.getUint8(at) !== 0;
      const v = readScalar(view, at, b.size, b.signed);
      return b.size <= 4 ? Number(v) : v;
    }
    case 'enum': {
      const size = sizeOfType(t, type);
      const v = readScalar(view, at, size, isSigned(t, type));
      return size <= 4 ? Number(v) : v;
    }
    case 'array': {
      const elem = sizeOfType(t, type.subtype);
      if (type.subtype.kind === 'base' && elem === 1 && t.baseTypes[type.subtype.name]?.kind === 'char') {
        return new Uint8Array(view.buffer.slice(view.byteOffset + at, view.byteOffset + at + type.count));
      }
      const out: FieldValue[] = [];
      for (let i = 0; i < type.count; i++) out.push(readTyped(t, view, at + i * elem, type.subtype, null, structBase));
      return out;
    }
    default: {
      const size = sizeOfType(t, type);
      if (at < 0 || at + size > view.byteLength) throw new RangeError(`field at ${at} (+${size}) outside ${view.byteLength} bytes`);
      return new Uint8Array(view.buffer.slice(view.byteOffset + at, view.byteOffset + at + size));
    }
  }
}

export type FieldReader = (view: DataView, base: number) => number;
export type FieldReader64 = (view: DataView, base: number) => bigint;

/**
 * A fast accessor for a field of ≤ 32 bits (integers, enums, bools, bitfields up to 32 bits) returning a
 * number. The walker calls these millions of times: everything is resolved once here, and the returned
 * closure does only DataView reads and integer arithmetic.
 */
export function compileField(t: Tables, typeName: string, field: string): FieldReader {
  const r = resolveField(t, typeName, field);
  if (r.scalar === 'bitfield') {
    const len = r.bitLength!;
    if (len > 32) throw new StructError(`${typeName}.${field} is a ${len}-bit field: use compileField64`);
    const first = r.offset;
    const shift = r.bitStart! - first * 8;
    const n = r.size; // 1..5 bytes
    const signed = r.signed;
    const mod = 2 ** len;
    const half = 2 ** (len - 1);
    const finish = (raw: number): number => {
      const v = Math.floor(raw / 2 ** shift) % mod;
      return signed && v >= half ? v - mod : v;
    };
    switch (n) {
      case 1:
        return (v, b) => finish(v.getUint8(b + first));
      case 2:
        return (v, b) => finish(v.getUint16(b + first, true));
      case 3:
        return (v, b) => finish(v.getUint16(b + first, true) + v.getUint8(b + first + 2) * 65536);
      case 4:
        return (v, b) => finish(v.getUint32(b + first, true));
      default:
        return (v, b) => finish(v.getUint32(b + first, true) + v.getUint8(b + first + 4) * 4294967296);
    }
  }
  if (r.scalar === 'pointer') throw new StructError(`${typeName}.${field} is a pointer: use compileField64`);
  if (r.scalar === 'aggregate' || r.scalar === 'array' || r.scalar === 'float') {
    throw new StructError(`${typeName}.${field} is not an integer field`);
  }
  const off = r.offset;
  switch (r.size) {
    case 1:
      return r.signed ? (v, b) => v.getInt8(b + off) : (v, b) => v.getUint8(b + off);
    case 2:
      return r.signed ? (v, b) => v.getInt16(b + off, true) : (v, b) => v.getUint16(b + off, true);
    case 4:
      return r.signed ? (v, b) => v.getInt32(b + off, true) : (v, b) => v.getUint32(b + off, true);
    default:
      throw new StructError(`${typeName}.${field} is ${r.size} bytes wide: use compileField64`);
  }
}

/** a fast accessor returning bigint, for any integer/pointer/bitfield up to 64 bits */
export function compileField64(t: Tables, typeName: string, field: string): FieldReader64 {
  const r = resolveField(t, typeName, field);
  if (r.scalar === 'bitfield') {
    const bitStart = r.bitStart!;
    const len = r.bitLength!;
    const signed = r.signed;
    return (v, b) => readBits(v, b, bitStart, len, signed);
  }
  if (r.scalar === 'aggregate' || r.scalar === 'array' || r.scalar === 'float') {
    throw new StructError(`${typeName}.${field} is not an integer field`);
  }
  const off = r.offset;
  const size = r.size;
  const signed = r.signed;
  if (size === 8) return signed ? (v, b) => v.getBigInt64(b + off, true) : (v, b) => v.getBigUint64(b + off, true);
  return (v, b) => readScalar(v, b + off, size, signed);
}

/** size of a user type */
export function sizeOfStruct(t: Tables, typeName: string): number {
  return userType(t, typeName).size;
}
