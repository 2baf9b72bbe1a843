// The ISF type checks, one bad place at a time, on a small well-formed table.
import { describe, it, expect } from 'vitest';
import { validateIsfTypes } from '../../core/symbols/validate';
import { DiscoveryError } from '../../core/errors';

const base = () => ({
  metadata: {},
  symbols: {},
  base_types: {
    'unsigned int': { size: 4, signed: false, kind: 'int', endian: 'little' },
    'unsigned long long': { size: 8, signed: false, kind: 'int', endian: 'little' },
    pointer: { size: 8, signed: false, kind: 'int', endian: 'little' },
    void: { size: 0, signed: false, kind: 'void', endian: 'little' },
  },
  enums: { st: { size: 4, base: 'unsigned int', constants: { A: 0, B: '18446744073709551615' } } },
  user_types: {
    c_segment: {
      kind: 'struct',
      size: 32,
      fields: {
        c_mysegno: { offset: 0, type: { kind: 'base', name: 'unsigned int' } },
        c_state: { offset: 4, type: { kind: 'bitfield', bit_position: 0, bit_length: 4, type: { kind: 'base', name: 'unsigned int' } } },
        c_store: { offset: 8, type: { kind: 'union', name: 'c_store' } },
        c_ptr: { offset: 16, type: { kind: 'pointer', subtype: { kind: 'base', name: 'void' } } },
        c_arr: { offset: 24, type: { kind: 'array', count: 2, subtype: { kind: 'base', name: 'unsigned int' } } },
        c_tail: { offset: 32, type: { kind: 'array', count: 0, subtype: { kind: 'base', name: 'unsigned int' } } },
        c_kind: { offset: 28, type: { kind: 'enum', name: 'st' } },
      },
    },
    // a same-named converter mix-up in a type the walk does not read inside is not refused
    c_store: { kind: 'union', size: 4096, fields: { c_buffer: { offset: 0, type: { kind: 'pointer' } } } },
  },
});

function failure(mutate: (d: any) => void): string {
  const d: any = base();
  mutate(d);
  try {
    validateIsfTypes(d, 'k.json');
  } catch (e) {
    expect(e).toBeInstanceOf(DiscoveryError);
    expect((e as DiscoveryError).code).toBe('BAD_SYMBOLS');
    return (e as Error).message;
  }
  return 'accepted';
}

describe('validateIsfTypes', () => {
  it('accepts a sound table, flexible arrays and quoted 64-bit enum constants included', () => {
    expect(failure(() => {})).toBe('accepted');
  });

  it('names the file and the exact place of each problem', () => {
    const cases: Array<[(d: any) => void, string]> = [
      [(d) => ((d.user_types.c_segment.fields.c_state.offset = 30), (d.user_types.c_segment.fields.c_state.type.bit_length = 40)), 'user_types.c_segment.fields.c_state (bitfield at byte 30, bit 0, 40 bits) ends past the 32-byte c_segment'],
      [(d) => (d.user_types.c_segment.fields.c_state.type.bit_length = 0), 'user_types.c_segment.fields.c_state.type.bit_length is 0, not a whole number from 1 to 64'],
      [(d) => (d.user_types.c_segment.fields.c_mysegno.type.name = 'u_int'), 'user_types.c_segment.fields.c_mysegno.type.name is "u_int", which is not in base_types'],
      [(d) => (d.user_types.c_segment.fields.c_kind.type.name = 'nope'), 'user_types.c_segment.fields.c_kind.type.name is "nope", which is not in enums'],
      [(d) => (d.user_types.c_segment.fields.c_arr.type.count = 3), 'user_types.c_segment.fields.c_arr (offset 24, 12 bytes) ends past the 32-byte c_segment'],
      [(d) => (d.user_types.c_segment.fields.c_arr.type.count = -1), 'user_types.c_segment.fields.c_arr.type.count is -1, not a whole number from 0 to 4294967296'],
      [(d) => (d.user_types.c_segment.fields.c_store.offset = 33), 'user_types.c_segment.fields.c_store (offset 33) starts past the 32-byte c_segment'],
      [(d) => (d.user_types.c_segment.fields.c_ptr.type.kind = 'weird'), 'user_types.c_segment.fields.c_ptr.type.kind is "weird", not a type kind'],
      [(d) => (d.user_types.c_segment.fields.c_ptr = null), 'user_types.c_segment.fields.c_ptr is null, not a field'],
      [(d) => (d.user_types.other = { kind: 'struct', size: 1.5, fields: {} }), 'user_types.other.size is 1.5, not a whole number from 0 to 4294967296'],
      [(d) => (d.base_types.pointer.kind = 'ptr'), 'base_types.pointer.kind is "ptr", not one of void, int, float, char, bool'],
      [(d) => (d.base_types.pointer.size = 2 ** 40), 'base_types.pointer.size is 1099511627776, not a whole number from 0 to 16'],
      [(d) => (d.enums.st.size = 3), 'enums.st.size is 3: an enum is 1, 2, 4 or 8 bytes'],
      [(d) => (d.enums.st.constants = null), 'enums.st.constants is null, not an object of numbers'],
      [(d) => (d.enums.st.constants.A = 1.25), 'enums.st.constants.A is 1.25, not a whole number'],
    ];
    for (const [mutate, where] of cases) expect(failure(mutate)).toBe(`k.json: ${where}; the symbol table cannot be used`);
  });
});
