// The built-in layouts against docs/compressor.md §4–§5 (tables typed here independently of
// core/darwin/layouts.ts), and family detection from xnu versions and symbols.
import { describe, expect, it } from 'vitest';
import { KObject, resolveNamed, type ObjectTypes } from '../../core/darwin/kobject';
import { compileField, compileField64 } from '../../core/symbols/struct';
import { detectFamily, familyBoundsFromSymbols, familyForXnu, parseXnuVersion } from '../../core/darwin/family';
import { FAMILIES, fallbackUserTypes, familyConstants, isKernelPointer, FALLBACK_BASE_TYPES } from '../../core/darwin/layouts';
import type { Family } from '../../core/darwin/types';
import { parseBanner } from '../../core/darwin/version';
import type { SymbolTable, UserType } from '../../core/symbols/types';

// docs/compressor.md §4.2: field → byte offset per family (F1 … F9; the doc's F2/F3 column twice); '-' = absent
const DOC_OFFSETS: Record<string, Array<number | '-'>> = {
  c_lock: [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
  c_age_list: [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10],
  c_list: [0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20],
  c_creation_ts: [0x50, 0x50, 0x50, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34],
  c_generation_id: [0x30, 0x30, 0x30, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38],
  c_bytes_used: [0x38, 0x38, 0x38, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40],
  c_bytes_unused: [0x3c, 0x3c, 0x3c, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44],
  c_slots_used: ['-', '-', '-', 0x48, 0x48, 0x48, 0x48, 0x48, 0x48],
  c_firstemptyslot: [0x44, 0x44, 0x44, 0x4c, 0x4c, 0x4c, 0x4c, 0x4c, 0x4c],
  c_nextslot: [0x46, 0x46, 0x46, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e],
  c_nextoffset: [0x48, 0x48, 0x48, 0x50, 0x50, 0x50, 0x50, 0x50, 0x50],
  c_populated_offset: [0x4c, 0x4c, 0x4c, 0x54, 0x54, 0x54, 0x54, 0x54, 0x54],
  c_swappedin_ts: [0x54, 0x54, 0x54, 0x58, 0x58, 0x68, 0x6c, 0x6c, 0x6c],
  c_store: [0x58, 0x58, 0x58, 0x60, 0x60, 0x58, 0x58, 0x58, 0x58],
  c_busy_for_thread: ['-', '-', '-', '-', 0x68, 0x60, 0x60, 0x60, 0x60],
  c_agedin_ts: ['-', '-', '-', '-', '-', '-', 0x68, 0x68, 0x68],
  c_swappedin: ['-', '-', '-', '-', '-', '-', '-', 0x70, 0x70],
  c_slots: [0x60, '-', '-', '-', '-', '-', '-', '-', '-'],
  c_slot_var_array_len: ['-', 0x60, 0x60, 0x68, 0x70, 0x6c, 0x70, 0x74, 0x78],
  c_slot_var_array: ['-', 0x68, 0x68, 0x70, 0x78, 0x70, 0x78, 0x78, 0x80],
  c_slot_fixed_array: ['-', 0x70, 0x70, 0x78, 0x80, 0x78, 0x80, 0x80, 0x88],
};
const DOC_SIZES = [0x90, 0x70, 0x70, 0x78, 0x80, 0x78, 0x80, 0x80, 0x88];

// docs/compressor.md §4.3: absolute bit (dword offset*8 + bit) and width of the flag/state bits
const F1_BITS: Record<string, [number, number]> = {
  c_mysegno: [0x40 * 8, 19],
  c_busy: [0x40 * 8 + 20, 1],
  c_busy_swapping: [0x40 * 8 + 21, 1],
  c_ondisk: [0x40 * 8 + 24, 1],
  c_on_age_q: [0x40 * 8 + 27, 1],
  c_on_swapout_q: [0x40 * 8 + 29, 1],
  c_on_swappedout_q: [0x40 * 8 + 30, 1],
  c_on_swappedout_sparse_q: [0x40 * 8 + 31, 1],
};
const F2_BITS: Record<string, [number, number]> = {
  c_mysegno: [0x40 * 8, 19],
  c_busy: [0x40 * 8 + 19, 1],
  c_busy_swapping: [0x40 * 8 + 20, 1],
  c_state: [0x40 * 8 + 23, 4],
};
const F4_BITS: Record<string, [number, number]> = {
  c_mysegno: [0x30 * 8, 20],
  c_busy: [0x30 * 8 + 20, 1],
  c_busy_swapping: [0x30 * 8 + 21, 1],
  c_state: [0x30 * 8 + 24, 4],
};
const F9_BITS: Record<string, [number, number]> = {
  c_busy: [0x74 * 8, 1],
  c_busy_swapping: [0x74 * 8 + 1, 1],
  c_state: [0x74 * 8 + 4, 4],
};

function absBit(t: UserType, name: string): [number, number] {
  const f = t.fields[name]!;
  expect(f, name).toBeDefined();
  if (f.type.kind === 'bitfield') return [f.offset * 8 + f.type.bit_position, f.type.bit_length];
  throw new Error(`${name} is not a bitfield`);
}

describe('built-in c_segment layouts match docs/compressor.md §4.2', () => {
  FAMILIES.forEach((fam, i) => {
    it(`${fam}: offsets, size, flag/state bits`, () => {
      for (const arch of ['x86_64', 'arm64'] as const) {
        const seg = fallbackUserTypes(fam, arch)['c_segment']!;
        expect(seg.size).toBe(DOC_SIZES[i]);
        for (const [field, offs] of Object.entries(DOC_OFFSETS)) {
          const want = offs[i];
          if (want === '-') expect(seg.fields[field], `${fam} ${field}`).toBeUndefined();
          else expect(seg.fields[field]?.offset, `${fam} ${field}`).toBe(want);
        }
        const bits = fam === 'F1' ? F1_BITS : fam === 'F2' || fam === 'F3' ? F2_BITS : fam === 'F9' ? F9_BITS : F4_BITS;
        for (const [field, want] of Object.entries(bits)) expect(absBit(seg, field), `${fam} ${field}`).toEqual(want);
        if (fam === 'F9') {
          expect(seg.fields['c_mysegno']).toEqual({ offset: 0x30, type: { kind: 'base', name: 'unsigned int' } });
        }
        if (fam === 'F1') expect(seg.fields['c_state']).toBeUndefined();
      }
    });
  });

  it('c_slot: x86_64 offset 0–15, size 16–27, packed ptr 28–63; arm64 size 16–29, codec bit 30, ptr 31–63', () => {
    const x = fallbackUserTypes('F4', 'x86_64')['c_slot']!;
    expect(x.size).toBe(8);
    expect(absBit(x, 'c_offset')).toEqual([0, 16]);
    expect(absBit(x, 'c_size')).toEqual([16, 12]);
    expect(absBit(x, 'c_packed_ptr')).toEqual([28, 36]);
    expect(x.fields['c_codec']).toBeUndefined();
    const a = fallbackUserTypes('F9', 'arm64')['c_slot']!;
    expect(absBit(a, 'c_offset')).toEqual([0, 16]);
    expect(absBit(a, 'c_size')).toEqual([16, 14]);
    expect(absBit(a, 'c_codec')).toEqual([30, 1]);
    expect(absBit(a, 'c_packed_ptr')).toEqual([31, 33]);
  });

  it('c_segu.c_segno is 4 bytes up to 10.11, pointer-sized from 10.12', () => {
    const size = (f: Family) => {
      const t = fallbackUserTypes(f, 'x86_64')['c_segu']!.fields['c_segno']!.type;
      return t.kind === 'base' ? FALLBACK_BASE_TYPES[t.name]!.size : -1;
    };
    expect(size('F1')).toBe(4);
    expect(size('F2')).toBe(4);
    expect(size('F3')).toBe(8);
    expect(size('F9')).toBe(8);
  });
});

describe('family constants (docs/compressor.md §1, §5.3)', () => {
  it('page size, dictionary preset, segment and allocation sizes, fixed array length', () => {
    const c = (f: Family, a: 'x86_64' | 'arm64', xnu?: number[]) => {
      const k = familyConstants(f, a, xnu);
      return [k.pageSize, k.dictPreset, k.bufSize / 1024, k.allocSize / 1024, k.fixedArrayLen];
    };
    expect(c('F1', 'x86_64')).toEqual([4096, 1, 256, 260, 0]);
    expect(c('F2', 'x86_64')).toEqual([4096, 0, 256, 256, 114]);
    expect(c('F3', 'x86_64')).toEqual([4096, 0, 256, 256, 114]);
    expect(c('F4', 'x86_64')).toEqual([4096, 0, 256, 256, 113]);
    expect(c('F5', 'x86_64')).toEqual([4096, 0, 256, 256, 112]);
    expect(c('F6', 'x86_64')).toEqual([4096, 0, 256, 256, 66]);
    expect(c('F7', 'x86_64')).toEqual([4096, 0, 256, 256, 65]);
    expect(c('F8', 'x86_64')).toEqual([4096, 0, 256, 256, 65]);
    expect(c('F9', 'x86_64')).toEqual([4096, 0, 256, 256, 64]);
    expect(c('F6', 'arm64')).toEqual([16384, 0, 256, 272, 16]);
    expect(c('F9', 'arm64', [8020, 121])).toEqual([16384, 0, 256, 272, 16]);
    expect(c('F9', 'arm64', [8020, 140, 49])).toEqual([16384, 0, 64, 80, 4]);
    expect(c('F9', 'arm64', [10063, 141])).toEqual([16384, 0, 64, 80, 4]);
  });

  it('kernel pointers', () => {
    expect(isKernelPointer('x86_64', 0xffffff8012345678n)).toBe(true);
    expect(isKernelPointer('x86_64', 0x00007fff12345678n)).toBe(false);
    expect(isKernelPointer('x86_64', 0xffff800012345678n)).toBe(false);
    expect(isKernelPointer('arm64', 0xfffffe0012345678n)).toBe(true);
    expect(isKernelPointer('arm64', 0x0000000000000005n)).toBe(false);
  });
});

function fakeSymbols(names: string[], userTypes: Record<string, UserType> = {}, banner: string | null = null): SymbolTable {
  const set = new Set(names);
  return {
    source: 'fake',
    banner,
    baseTypes: FALLBACK_BASE_TYPES,
    userTypes,
    enums: {},
    symbolAddress: (n) => (set.has(n) ? 0xffffff8000100000n : undefined),
    hasSymbol: (n) => set.has(n),
    symbolNames: () => set,
  };
}

describe('family detection', () => {
  it('maps xnu versions by their first two parts (docs/compressor.md §1)', () => {
    const cases: Array<[string, Family]> = [
      ['2422.115.15', 'F1'],
      ['2782.50.9', 'F1'],
      ['3247.1.106', 'F2'],
      ['3248.60.11', 'F2'],
      ['3789.70.16', 'F3'],
      ['4570.71.2', 'F4'],
      ['4903.271.2', 'F4'],
      ['6041.0.0.111.5', 'F4'],
      ['6153.81.5', 'F4'],
      ['6153.101.6', 'F5'],
      ['6153.141.2.2', 'F5'],
      ['7195.41.8', 'F6'],
      ['7195.101.1', 'F6'],
      ['7195.121.3', 'F7'],
      ['7195.141.49.702.12', 'F7'],
      ['8019.61.5', 'F7'],
      ['8019.80.24', 'F8'],
      ['8020.101.4', 'F8'],
      ['8020.121.3', 'F9'],
      ['8020.140.49', 'F9'],
      ['8020.240.18.703.5', 'F9'],
      ['8796.141.3.701.17', 'F9'],
      ['11417.121.6', 'F9'],
    ];
    for (const [v, fam] of cases) expect(familyForXnu(parseXnuVersion(`root:xnu-${v}~1/RELEASE_X86_64`)!), v).toBe(fam);
  });

  it('parses versions from banners, DarwinVersion objects and bare strings', () => {
    const b = 'Darwin Kernel Version 17.7.0: Thu Jun 21 22:53:14 PDT 2018; root:xnu-4570.71.2~1/RELEASE_X86_64';
    expect(parseXnuVersion(b)).toEqual([4570, 71, 2]);
    expect(parseXnuVersion(parseBanner(b))).toEqual([4570, 71, 2]);
    expect(parseXnuVersion('xnu-10002.1.13~1')).toEqual([10002, 1, 13]);
    expect(parseXnuVersion('8796.141.3')).toEqual([8796, 141, 3]);
    expect(parseXnuVersion(null)).toBeNull();
    expect(parseXnuVersion('Linux version 6.1')).toBeNull();
  });

  it('gives a reason naming the version, family, release range and layout source', () => {
    const syms = fakeSymbols(['c_segments', 'c_buffers']);
    const d = detectFamily('root:xnu-4570.71.2~1/RELEASE_X86_64', syms, 'isf');
    expect(d.family).toBe('F4');
    expect(d.reason).toBe('xnu-4570.71.2 → F4 (10.13–10.15.3); layouts from ISF');
    expect(detectFamily('xnu-4570.71.2', syms, 'built-in').reason).toBe('xnu-4570.71.2 → F4 (10.13–10.15.3); built-in layout F4');
  });

  it('symbol probes bound the family and override a contradicting version, saying so', () => {
    expect(familyBoundsFromSymbols(fakeSymbols(['c_segments']))).toMatchObject({ min: 'F1', max: 'F1' });
    expect(familyBoundsFromSymbols(fakeSymbols(['c_buffers']))).toMatchObject({ min: 'F2', max: 'F5' });
    expect(familyBoundsFromSymbols(fakeSymbols(['c_buffers', 'c_slot_packing_params']))).toMatchObject({ min: 'F6', max: 'F7' });
    expect(familyBoundsFromSymbols(fakeSymbols(['c_buffers', 'c_slot_packing_params', 'c_seg_bufsize']))).toMatchObject({
      min: 'F7',
      max: 'F9',
    });
    // a 10.13 banner with an 11+ symbol set: the symbols win, and the conflict is reported
    const d = detectFamily('xnu-4570.71.2', fakeSymbols(['c_buffers', 'c_slot_packing_params']));
    expect(d.family).toBe('F6');
    expect(d.conflicts).toHaveLength(1);
    expect(d.reason).toContain('using F6');
  });

  it('without a version: from the ISF c_segment shape, else the symbol probes', () => {
    const f8 = fakeSymbols(['c_buffers', 'c_slot_packing_params', 'c_seg_bufsize'], { c_segment: fallbackUserTypes('F8', 'x86_64')['c_segment']! });
    expect(detectFamily(null, f8).family).toBe('F8');
    expect(detectFamily(null, f8).reason).toContain('c_segment fields → F8');
    const f1 = fakeSymbols(['c_segments'], { c_segment: fallbackUserTypes('F1', 'x86_64')['c_segment']! });
    expect(detectFamily(undefined, f1).family).toBe('F1');
    const bare = fakeSymbols(['c_buffers']);
    expect(detectFamily(null, bare).family).toBe('F5');
    expect(detectFamily(null, bare).reason).toContain('assuming F5');
    // the banner inside the symbol table is used when no version is passed
    expect(detectFamily(null, fakeSymbols(['c_buffers'], {}, 'Darwin Kernel Version 15.6.0: x; root:xnu-3248.60.11~1/RELEASE_X86_64')).family).toBe('F2');
  });
});

describe('generic bitfield reading', () => {
  it('reads c_state from its containing byte (0x33 bit 0) exactly as from its word (0x30 bit 24)', () => {
    const word = fallbackUserTypes('F4', 'x86_64')['c_segment']!;
    const byteForm: UserType = {
      ...word,
      fields: {
        ...word.fields,
        c_state: { offset: 0x33, type: { kind: 'bitfield', bit_position: 0, bit_length: 4, type: { kind: 'base', name: 'unsigned int' } } },
        c_mysegno: { offset: 0x30, type: { kind: 'bitfield', bit_position: 0, bit_length: 20, type: { kind: 'base', name: 'unsigned int' } } },
        c_busy_swapping: { offset: 0x32, type: { kind: 'bitfield', bit_position: 5, bit_length: 1, type: { kind: 'base', name: 'unsigned int' } } },
      },
    };
    const objectOf = (t: UserType, bytes: Uint8Array): KObject => {
      const tables = { baseTypes: FALLBACK_BASE_TYPES, userTypes: { c_segment: t }, enums: {} };
      const types: ObjectTypes = {
        tables,
        typesSource: 'test',
        field: (ty, f) => resolveNamed(tables, 'test', ty, f),
        hasField: (ty, f) => f in (tables.userTypes[ty as 'c_segment']?.fields ?? {}),
        reader64: (ty, f) => compileField64(tables, ty, f),
        reader32: (ty, f) => compileField(tables, ty, f),
        strip: (v) => v,
      };
      return new KObject(types, 'c_segment', 0xffffff8012340000n, bytes);
    };
    const buf = new Uint8Array(0x80);
    const dv = new DataView(buf.buffer);
    // mysegno 0x7abcd, busy_swapping 1, c_state 10, c_overage_swap 1
    dv.setUint32(0x30, 0x7abcd | (1 << 21) | (10 << 24) | (1 << 28), true);
    for (const o of [objectOf(word, buf), objectOf(byteForm, buf)]) {
      expect(o.num('c_state')).toBe(10);
      expect(o.num('c_mysegno')).toBe(0x7abcd);
      expect(o.num('c_busy_swapping')).toBe(1);
      expect(o.num('c_overage_swap')).toBe(1);
    }
  });
});
