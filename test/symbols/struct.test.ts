import { describe, expect, it } from 'vitest';
import { compileField, compileField64, fieldOffset, hasField, readField, resolveField, sizeOfType, StructError } from '../../core/symbols/struct';
import type { TypeRef, UserType } from '../../core/symbols/types';
import { standardBaseTypes } from '../../core/synth/isf';

const base = (name: string): TypeRef => ({ kind: 'base', name });
const bf = (bit_position: number, bit_length: number, name = 'unsigned int'): TypeRef => ({ kind: 'bitfield', bit_position, bit_length, type: base(name) });

// the same 10.13-style c_segment bits written in both ISF forms
const segByteForm: UserType = {
  kind: 'struct',
  size: 0x60,
  fields: {
    c_mysegno: { offset: 0x30, type: bf(0, 20) },
    c_busy: { offset: 0x32, type: bf(4, 1) },
    c_state: { offset: 0x33, type: bf(0, 4) },
    c_delta: { offset: 0x34, type: bf(3, 5, 'int') },
    c_wide: { offset: 0x38, type: bf(6, 32, 'unsigned long long') },
    c_huge: { offset: 0x40, type: bf(2, 40, 'unsigned long long') },
    c_slots: { offset: 0x48, type: { kind: 'array', count: 2, subtype: { kind: 'pointer', subtype: base('void') } } },
    c_sizes: { offset: 0x58, type: { kind: 'array', count: 4, subtype: base('unsigned short') } },
  },
};
const segWordForm: UserType = {
  kind: 'struct',
  size: 0x60,
  fields: {
    ...segByteForm.fields,
    c_mysegno: { offset: 0x30, type: bf(0, 20) },
    c_busy: { offset: 0x30, type: bf(20, 1) },
    c_state: { offset: 0x30, type: bf(24, 4) },
    c_delta: { offset: 0x34, type: bf(3, 5, 'int') },
  },
};
const outer: UserType = {
  kind: 'struct',
  size: 0x20,
  fields: {
    name: { offset: 0, type: { kind: 'array', count: 8, subtype: base('char') } },
    u: { offset: 8, type: { kind: 'union', name: 'anon_u' }, anonymous: true },
    inner: { offset: 0x10, type: { kind: 'struct', name: 'inner_t' } },
    state: { offset: 0x1c, type: { kind: 'enum', name: 'state_e' } },
    flag: { offset: 0x1e, type: base('_Bool') },
    neg: { offset: 0x1f, type: base('signed char') },
  },
};
const tables = {
  baseTypes: standardBaseTypes(),
  userTypes: {
    seg_byte: segByteForm,
    seg_word: segWordForm,
    outer,
    anon_u: { kind: 'union', size: 8, fields: { as_ptr: { offset: 0, type: { kind: 'pointer', subtype: base('void') } }, as_u32: { offset: 0, type: base('unsigned int') } } },
    inner_t: { kind: 'struct', size: 0xc, fields: { a: { offset: 0, type: base('unsigned int') }, b: { offset: 4, type: base('long long') } } },
  } as Record<string, UserType>,
  enums: { state_e: { size: 2, base: 'unsigned short', constants: { A: 0, B: 7 } } },
};

function segmentBytes(): DataView {
  const b = new Uint8Array(0x100);
  const v = new DataView(b.buffer);
  const at = 0x20; // struct placed at a non-zero base
  // word at 0x30: c_mysegno = 0xABCDE (bits 0..19), c_busy = 1 (bit 20), c_state = 0xB (bits 24..27)
  v.setUint32(at + 0x30, 0xabcde | (1 << 20) | (0xb << 24) | (1 << 31), true);
  // c_delta: bits 3..7 of byte 0x34 = -3 (0b11101)
  v.setUint8(at + 0x34, (0b11101 << 3) | 0b101);
  // c_wide: 32 bits from bit 6 of byte 0x38 → spans 5 bytes
  const wide = 0xdeadbeefn << 6n;
  for (let i = 0; i < 5; i++) v.setUint8(at + 0x38 + i, Number((wide >> BigInt(8 * i)) & 0xffn) | (i === 0 ? 0b10 : 0));
  const huge = 0xfedcba9876n << 2n;
  for (let i = 0; i < 6; i++) v.setUint8(at + 0x40 + i, Number((huge >> BigInt(8 * i)) & 0xffn));
  v.setBigUint64(at + 0x48, 0xffffff8012345678n, true);
  v.setBigUint64(at + 0x50, 0xffffff80deadbee0n, true);
  for (let i = 0; i < 4; i++) v.setUint16(at + 0x58 + 2 * i, 1000 + i, true);
  return v;
}

describe('struct reader', () => {
  const view = segmentBytes();
  const at = 0x20;

  for (const type of ['seg_byte', 'seg_word']) {
    it(`reads bitfields from offset*8 + bit_position (${type})`, () => {
      expect(readField(tables, view, at, type, 'c_mysegno')).toBe(0xabcde);
      expect(readField(tables, view, at, type, 'c_busy')).toBe(1);
      expect(readField(tables, view, at, type, 'c_state')).toBe(0xb);
      expect(readField(tables, view, at, type, 'c_delta')).toBe(-3);
      expect(compileField(tables, type, 'c_state')(view, at)).toBe(0xb);
      expect(compileField(tables, type, 'c_mysegno')(view, at)).toBe(0xabcde);
      expect(compileField(tables, type, 'c_busy')(view, at)).toBe(1);
      expect(compileField(tables, type, 'c_delta')(view, at)).toBe(-3);
      expect(compileField64(tables, type, 'c_state')(view, at)).toBe(0xbn);
    });
  }

  it('locates the two forms at the same absolute bit', () => {
    expect(resolveField(tables, 'seg_byte', 'c_state').bitStart).toBe(0x33 * 8);
    expect(resolveField(tables, 'seg_word', 'c_state').bitStart).toBe(0x30 * 8 + 24);
    expect(resolveField(tables, 'seg_word', 'c_state').offset).toBe(0x33);
    expect(resolveField(tables, 'seg_word', 'c_state').size).toBe(1);
  });

  it('reads a 32-bit bitfield spanning five bytes and a 40-bit one', () => {
    expect(readField(tables, view, at, 'seg_byte', 'c_wide')).toBe(0xdeadbeef);
    expect(compileField(tables, 'seg_byte', 'c_wide')(view, at)).toBe(0xdeadbeef);
    expect(readField(tables, view, at, 'seg_byte', 'c_huge')).toBe(0xfedcba9876n);
    expect(compileField64(tables, 'seg_byte', 'c_huge')(view, at)).toBe(0xfedcba9876n);
    expect(() => compileField(tables, 'seg_byte', 'c_huge')).toThrow(/40-bit field: use compileField64/);
  });

  it('reads pointers as bigint and arrays element by element', () => {
    expect(readField(tables, view, at, 'seg_byte', 'c_slots')).toEqual([0xffffff8012345678n, 0xffffff80deadbee0n]);
    expect(readField(tables, view, at, 'seg_byte', 'c_sizes')).toEqual([1000, 1001, 1002, 1003]);
    expect(() => compileField(tables, 'seg_byte', 'c_slots')).toThrow(StructError);
    expect(fieldOffset(tables, 'seg_byte', 'c_sizes')).toBe(0x58);
    expect(sizeOfType(tables, { kind: 'array', count: 2, subtype: { kind: 'pointer', subtype: base('void') } })).toBe(16);
  });

  it('finds anonymous union members, dotted paths, enums, bools and chars', () => {
    const b = new Uint8Array(0x20);
    const v = new DataView(b.buffer);
    b.set(Buffer.from('kernel\0\0'), 0);
    v.setBigUint64(8, 0xffffff8000001234n, true);
    v.setUint32(0x10, 77, true);
    v.setBigInt64(0x14, -5n, true);
    v.setUint16(0x1c, 7, true);
    v.setUint8(0x1e, 1);
    v.setInt8(0x1f, -2);
    expect(Buffer.from(readField(tables, b, 0, 'outer', 'name') as Uint8Array).toString('latin1')).toBe('kernel\0\0');
    expect(readField(tables, b, 0, 'outer', 'as_ptr')).toBe(0xffffff8000001234n);
    expect(readField(tables, b, 0, 'outer', 'as_u32')).toBe(0x1234);
    expect(fieldOffset(tables, 'outer', 'as_u32')).toBe(8);
    expect(readField(tables, b, 0, 'outer', 'inner.a')).toBe(77);
    expect(readField(tables, b, 0, 'outer', 'inner.b')).toBe(-5n);
    expect(compileField64(tables, 'outer', 'inner.b')(v, 0)).toBe(-5n);
    expect(compileField(tables, 'outer', 'inner.a')(v, 0)).toBe(77);
    expect(readField(tables, b, 0, 'outer', 'state')).toBe(7);
    expect(compileField(tables, 'outer', 'state')(v, 0)).toBe(7);
    expect(readField(tables, b, 0, 'outer', 'flag')).toBe(true);
    expect(compileField(tables, 'outer', 'neg')(v, 0)).toBe(-2);
  });

  it('names what is missing', () => {
    expect(() => readField(tables, view, 0, 'nope', 'x')).toThrow('type nope is not in the symbol table');
    expect(() => readField(tables, view, 0, 'seg_byte', 'c_nothing')).toThrow('type seg_byte has no field c_nothing');
    expect(() => readField(tables, view, 0, 'outer', 'flag.x')).toThrow(/is not a struct/);
    expect(hasField(tables, 'seg_byte', 'c_state')).toBe(true);
    expect(hasField(tables, 'seg_byte', 'c_nothing')).toBe(false);
  });

  it('never reads outside the bytes given', () => {
    const small = new DataView(new ArrayBuffer(0x34));
    expect(() => compileField(tables, 'seg_byte', 'c_state')(small, 0x10)).toThrow(RangeError);
    expect(() => readField(tables, small, 0, 'seg_byte', 'c_slots')).toThrow(RangeError);
  });
});
