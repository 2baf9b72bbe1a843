// Checks a Volatility 3 ISF's types before anything reads memory through them. A symbol file is input
// like any other: a size of 2^40, a negative, fractional or textual offset, `fields: null`, an enum
// without numbers or a 3-byte `unsigned short` would otherwise surface as a JavaScript error deep in the
// walk, or worse, as a walk that silently reads nothing. Every problem is reported as BAD_SYMBOLS naming
// the file and the exact place (`user_types.c_segment.fields.c_mysegno.offset`).
//
// Two levels: every base type, enum and user type is checked for shape (cheap, and any of them may be
// reached through an anonymous member); the types the walk reads (WALKED_TYPES) are also checked for
// bounds: each scalar, pointer, bitfield and array of scalars must lie inside its struct, and a nested
// struct or union must at least start inside it. (Nested types are not followed: converters sometimes
// give two different kernel structs one name, and the walk never reads inside those.)
import { DiscoveryError } from '../errors';

/** the kernel types the compressor walk and the kernel discovery read fields of */
export const WALKED_TYPES = ['c_segment', 'c_slot', 'c_segu', 'c_sv_hash_entry', 'pmap'] as const;

/** no structure the walk reads is anywhere near this; a larger size is a damaged or forged ISF */
const MAX_WALKED_SIZE = 65536;
/** any type: sizes beyond 4 GiB do not exist in a kernel */
const MAX_TYPE_SIZE = 2 ** 32;
const INT_SIZES = new Set([1, 2, 4, 8, 16]);
const FLOAT_SIZES = new Set([4, 8, 10, 12, 16]);
const BASE_KINDS = new Set(['void', 'int', 'float', 'char', 'bool']);
const REF_KINDS = new Set(['base', 'pointer', 'array', 'struct', 'union', 'class', 'enum', 'bitfield', 'function']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'missing' : typeof v === 'bigint' ? v.toString() : JSON.stringify(v) ?? String(v));

class Checker {
  constructor(
    private readonly source: string,
    private readonly doc: Obj,
  ) {}

  fail(where: string, what: string): never {
    throw new DiscoveryError('BAD_SYMBOLS', `${this.source}: ${where} ${what}; the symbol table cannot be used`, { source: this.source, field: where });
  }

  wholeNumber(where: string, v: unknown, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      this.fail(where, `is ${show(v)}, not a whole number from ${min} to ${max}`);
    }
    return v;
  }

  baseTypes(): void {
    const all = this.doc.base_types as Obj;
    for (const [name, b] of Object.entries(all)) {
      const at = `base_types.${name}`;
      if (!isObj(b)) this.fail(at, `is ${show(b)}, not an object`);
      if (typeof b.kind !== 'string' || !BASE_KINDS.has(b.kind)) this.fail(`${at}.kind`, `is ${show(b.kind)}, not one of ${[...BASE_KINDS].join(', ')}`);
      const size = this.wholeNumber(`${at}.size`, b.size, 0, 16);
      if ((b.kind === 'int' || b.kind === 'char' || b.kind === 'bool') && !INT_SIZES.has(size)) this.fail(`${at}.size`, `is ${size}: an integer type is 1, 2, 4, 8 or 16 bytes`);
      if (b.kind === 'float' && !FLOAT_SIZES.has(size)) this.fail(`${at}.size`, `is ${size}: a floating-point type is 4, 8, 10, 12 or 16 bytes`);
      if (b.signed !== undefined && typeof b.signed !== 'boolean') this.fail(`${at}.signed`, `is ${show(b.signed)}, not true or false`);
      if (b.endian !== undefined && b.endian !== 'little' && b.endian !== 'big') this.fail(`${at}.endian`, `is ${show(b.endian)}, not "little" or "big"`);
    }
  }

  enums(): void {
    const all = this.doc.enums as Obj;
    for (const [name, e] of Object.entries(all)) {
      const at = `enums.${name}`;
      if (!isObj(e)) this.fail(at, `is ${show(e)}, not an object`);
      const size = this.wholeNumber(`${at}.size`, e.size, 1, 8);
      if (size !== 1 && size !== 2 && size !== 4 && size !== 8) this.fail(`${at}.size`, `is ${size}: an enum is 1, 2, 4 or 8 bytes`);
      if (typeof e.base !== 'string') this.fail(`${at}.base`, `is ${show(e.base)}, not a base type name`);
      if (!isObj(e.constants)) this.fail(`${at}.constants`, `is ${show(e.constants)}, not an object of numbers`);
      for (const [c, v] of Object.entries(e.constants)) {
        const ok = (typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v));
        if (!ok) this.fail(`${at}.constants.${c}`, `is ${show(v)}, not a whole number`);
      }
    }
  }

  /** shape of a type reference (recursive through arrays, bitfields and pointer subtypes) */
  ref(at: string, t: unknown, depth = 0): void {
    if (!isObj(t)) this.fail(at, `is ${show(t)}, not a type`);
    if (depth > 16) this.fail(at, 'nests types more than 16 deep');
    if (typeof t.kind !== 'string' || !REF_KINDS.has(t.kind)) this.fail(`${at}.kind`, `is ${show(t.kind)}, not a type kind`);
    switch (t.kind) {
      case 'base':
        if (typeof t.name !== 'string' || !isObj((this.doc.base_types as Obj)[t.name])) this.fail(`${at}.name`, `is ${show(t.name)}, which is not in base_types`);
        break;
      case 'enum':
        if (typeof t.name !== 'string' || !isObj((this.doc.enums as Obj)[t.name])) this.fail(`${at}.name`, `is ${show(t.name)}, which is not in enums`);
        break;
      case 'struct':
      case 'union':
      case 'class':
        if (typeof t.name !== 'string') this.fail(`${at}.name`, `is ${show(t.name)}, not a type name`);
        break;
      case 'array':
        this.wholeNumber(`${at}.count`, t.count, 0, MAX_TYPE_SIZE);
        this.ref(`${at}.subtype`, t.subtype, depth + 1);
        break;
      case 'bitfield':
        this.wholeNumber(`${at}.bit_position`, t.bit_position, 0, 127);
        this.wholeNumber(`${at}.bit_length`, t.bit_length, 1, 64);
        this.ref(`${at}.type`, t.type, depth + 1);
        if (!isObj(t.type) || (t.type.kind !== 'base' && t.type.kind !== 'enum')) this.fail(`${at}.type`, 'of a bitfield is not an integer or enum type');
        break;
      case 'pointer':
        if (t.subtype !== undefined) this.ref(`${at}.subtype`, t.subtype, depth + 1);
        break;
    }
  }

  userTypesShape(): void {
    const all = this.doc.user_types as Obj;
    for (const [name, u] of Object.entries(all)) {
      const at = `user_types.${name}`;
      if (!isObj(u)) this.fail(at, `is ${show(u)}, not an object`);
      this.wholeNumber(`${at}.size`, u.size, 0, MAX_TYPE_SIZE);
      if (!isObj(u.fields)) this.fail(`${at}.fields`, `is ${show(u.fields)}, not an object of fields`);
      for (const [f, def] of Object.entries(u.fields)) {
        const fat = `${at}.fields.${f}`;
        if (!isObj(def)) this.fail(fat, `is ${show(def)}, not a field`);
        this.wholeNumber(`${fat}.offset`, def.offset, 0, MAX_TYPE_SIZE);
        this.ref(`${fat}.type`, def.type);
      }
    }
  }

  /** bytes a type reference occupies (only called on shapes already checked) */
  sizeOf(t: Obj, at: string, depth = 0): number {
    if (depth > 16) this.fail(at, 'nests types more than 16 deep');
    switch (t.kind) {
      case 'base':
        return (this.doc.base_types as Record<string, Obj>)[t.name as string]!.size as number;
      case 'enum':
        return (this.doc.enums as Record<string, Obj>)[t.name as string]!.size as number;
      case 'pointer': {
        const p = (this.doc.base_types as Record<string, Obj>)['pointer'];
        return p ? (p.size as number) : 8;
      }
      case 'array':
        return (t.count as number) * this.sizeOf(t.subtype as Obj, `${at}.subtype`, depth + 1);
      case 'bitfield':
        return this.sizeOf(t.type as Obj, `${at}.type`, depth + 1);
      case 'struct':
      case 'union':
      case 'class': {
        const u = (this.doc.user_types as Record<string, Obj>)[t.name as string];
        // a member type the ISF leaves out (an anonymous union) is read through its parent's fallback
        return u ? (u.size as number) : 0;
      }
      default:
        return 0;
    }
  }

  /** bounds of every field of a walked type */
  walked(name: string): void {
    const u = (this.doc.user_types as Record<string, Obj>)[name];
    if (!u) return;
    const at = `user_types.${name}`;
    const size = this.wholeNumber(`${at}.size`, u.size, 0, MAX_WALKED_SIZE);
    for (const [f, def] of Object.entries(u.fields as Record<string, Obj>)) {
      const fat = `${at}.fields.${f}`;
      const off = def.offset as number;
      const t = def.type as Obj;
      if (t.kind === 'bitfield') {
        const end = off * 8 + (t.bit_position as number) + (t.bit_length as number);
        if (end > size * 8) this.fail(fat, `(bitfield at byte ${off}, bit ${show(t.bit_position)}, ${show(t.bit_length)} bits) ends past the ${size}-byte ${name}`);
        continue;
      }
      let inner: Obj = t;
      while (inner.kind === 'array') inner = inner.subtype as Obj;
      if (inner.kind === 'struct' || inner.kind === 'union' || inner.kind === 'class') {
        // an aggregate member: its start must lie inside (a flexible one may sit at the very end)
        if (off > size) this.fail(fat, `(offset ${off}) starts past the ${size}-byte ${name}`);
        continue;
      }
      const len = this.sizeOf(t, `${fat}.type`);
      // a trailing flexible array (count 0) sits at the very end
      if (off + len > size) this.fail(fat, `(offset ${off}, ${len} bytes) ends past the ${size}-byte ${name}`);
    }
  }
}

/**
 * Throws DiscoveryError BAD_SYMBOLS naming the file and the first bad place, or returns when the ISF's
 * base types, enums and user types have sound shapes and the walked types fit their sizes.
 * `doc` has the five top-level objects already (checked by the loader).
 */
export function validateIsfTypes(doc: Record<string, unknown>, source: string): void {
  const c = new Checker(source, doc);
  c.baseTypes();
  c.enums();
  c.userTypesShape();
  for (const name of WALKED_TYPES) c.walked(name);
}
