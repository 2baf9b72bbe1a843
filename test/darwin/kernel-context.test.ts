// The kernel-object layer: a context over a synthetic kernel (core/synth) reads globals, typed
// objects (integers, 64-bit values, bitfields, nested structs, arrays, strings), strips PAC bits and
// unpacks packed pointers by version. Expected values come from what the builder wrote.
import { describe, expect, it } from 'vitest';
import { MissingSymbolError, NotPresentError, UnfoldError } from '../../core/errors';
import { KernelContext } from '../../core/darwin/kernel';
import { packPointer, stripPointer, unpackPointer, type PackingParams } from '../../core/darwin/pointers';
import { createSynthKernel, sampleBanner, type SynthKernelBuilder } from '../../core/synth/kernel';
import { openSynthImage } from '../../core/synth/scenarios';
import type { UserType } from '../../core/symbols/types';

const base = (name: string) => ({ kind: 'base' as const, name });
const ptr = { kind: 'pointer' as const, subtype: base('void') };
const bits = (bit_position: number, bit_length: number) => ({ kind: 'bitfield' as const, bit_position, bit_length, type: base('unsigned int') });

const THING: UserType = {
  kind: 'struct',
  size: 0x60,
  fields: {
    t_u32: { offset: 0x00, type: base('unsigned int') },
    t_i32: { offset: 0x04, type: base('int') },
    t_u64: { offset: 0x08, type: base('unsigned long long') },
    t_ptr: { offset: 0x10, type: ptr },
    t_flags: { offset: 0x18, type: bits(0, 3) },
    t_state: { offset: 0x18, type: bits(3, 4) },
    t_wide: { offset: 0x18, type: bits(7, 20) },
    t_inner: { offset: 0x20, type: { kind: 'struct', name: 'inner' } },
    t_words: { offset: 0x30, type: { kind: 'array', count: 4, subtype: base('unsigned short') } },
    t_name: { offset: 0x38, type: { kind: 'array', count: 17, subtype: base('char') } },
    t_pairs: { offset: 0x50, type: { kind: 'array', count: 2, subtype: { kind: 'struct', name: 'pair' } } },
  },
};
const INNER: UserType = {
  kind: 'struct',
  size: 0x10,
  fields: { i_a: { offset: 0, type: base('unsigned int') }, i_p: { offset: 8, type: ptr } },
};
const PAIR: UserType = { kind: 'struct', size: 8, fields: { lo: { offset: 0, type: base('unsigned int') }, hi: { offset: 4, type: base('unsigned int') } } };

function contextOf(k: SynthKernelBuilder): KernelContext {
  const o = openSynthImage(k.finish());
  return new KernelContext({ space: o.space, symbols: o.symbols, slide: o.slide, version: o.version });
}

describe('kernel context: globals, types, objects', () => {
  const k = createSynthKernel({ arch: 'x86_64', banner: sampleBanner(17) });
  for (const [n, t] of [['thing', THING], ['inner', INNER], ['pair', PAIR]] as const) k.addUserType(n, t);
  const thingVa = k.global('the_thing', 0x60, 16);
  k.writeU32(thingVa, 0xdeadbeef);
  k.writeU32(thingVa + 4n, 0xfffffff6); // -10
  k.writeU64(thingVa + 8n, 0xfedc_ba98_7654_3210n);
  k.writeU64(thingVa + 0x10n, 0xffff_ff80_4000_1230n);
  // t_flags = 5, t_state = 9, t_wide = 0xabcde
  k.writeU32(thingVa + 0x18n, 5 | (9 << 3) | (0xabcde << 7));
  k.writeU32(thingVa + 0x20n, 77);
  k.writeU64(thingVa + 0x28n, 0xffff_ff80_4000_2000n);
  [1, 2, 0xffff, 4].forEach((w, i) => k.writeU16(thingVa + 0x30n + BigInt(2 * i), w));
  k.write(thingVa + 0x38n, Buffer.from('launchd\0garbage!!', 'latin1'));
  k.writeU32(thingVa + 0x50n, 11);
  k.writeU32(thingVa + 0x54n, 12);
  k.writeU32(thingVa + 0x58n, 21);
  k.writeU32(thingVa + 0x5cn, 22);
  k.global('c_buffers', 8); // 10.11+: lets the family check agree with xnu-4570 (F4)
  const hole = k.reserve(0x4000); // VA with no pages behind it
  const slide = k.slide;
  const ctx = contextOf(k);

  it('knows its kernel', () => {
    expect(ctx.arch).toBe('x86_64');
    expect(ctx.pageSize).toBe(4096);
    expect(ctx.slide).toBe(slide);
    expect(ctx.xnu).toEqual([4570, 71, 2]);
    expect(ctx.family).toBe('F4');
    expect(ctx.darwin?.major).toBe(17);
  });

  it('global(): the slid address, or an error naming the missing symbol', () => {
    expect(ctx.global('the_thing')).toBe(thingVa);
    expect(ctx.global('version')).toBe(ctx.symbols.symbolAddress('version')! + slide);
    expect(ctx.tryGlobal('no_such_symbol')).toBeNull();
    let err: unknown;
    try {
      ctx.global('no_such_symbol');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingSymbolError);
    expect((err as MissingSymbolError).code).toBe('MISSING_SYMBOL');
    expect((err as Error).message).toBe('the symbol table (synthetic ISF) has no symbol no_such_symbol');
  });

  it('types from the ISF, built-in layouts for the gaps', () => {
    expect(ctx.hasType('thing')).toBe(true);
    expect(ctx.typeSource('thing')).toBe('isf');
    expect(ctx.typeSource('c_segment')).toBe('built-in');
    expect(ctx.sizeOf('c_segment')).toBe(0x78); // F4
    expect(ctx.typeSource('proc')).toBeNull();
    expect(ctx.missingTypes(['thing', 'proc', 'task'])).toEqual(['proc', 'task']);
    expect(ctx.hasField('thing', 't_inner.i_p')).toBe(true);
    expect(ctx.hasField('thing', 't_nope')).toBe(false);
    expect(() => ctx.object('proc', thingVa)).toThrow('the symbol table (synthetic ISF) has no type proc');
  });

  it('reads fields by name: integers, 64-bit, bitfields, nested, arrays, strings', () => {
    const o = ctx.globalObject('the_thing', 'thing');
    expect(o.address).toBe(thingVa);
    expect(o.size).toBe(0x60);
    expect(o.num('t_u32')).toBe(0xdeadbeef);
    expect(o.num('t_i32')).toBe(-10);
    expect(o.u64('t_i32')).toBe(-10n);
    expect(o.u64('t_u64')).toBe(0xfedc_ba98_7654_3210n);
    expect(o.pointer('t_ptr')).toBe(0xffff_ff80_4000_1230n);
    expect(o.num('t_flags')).toBe(5);
    expect(o.num('t_state')).toBe(9);
    expect(o.num('t_wide')).toBe(0xabcde);
    expect(o.num('t_inner.i_a')).toBe(77);
    expect(o.pointer('t_inner.i_p')).toBe(0xffff_ff80_4000_2000n);
    const inner = o.struct('t_inner');
    expect(inner.type).toBe('inner');
    expect(inner.address).toBe(thingVa + 0x20n);
    expect(inner.num('i_a')).toBe(77);
    expect(o.addressOf('t_inner.i_p')).toBe(thingVa + 0x28n);
    expect(o.get('t_words')).toEqual([1, 2, 0xffff, 4]);
    expect(o.cstring('t_name')).toBe('launchd');
    expect([...o.raw('t_name')]).toEqual([...Buffer.from('launchd\0garbage!!', 'latin1')]);
    expect(o.element('t_pairs', 1).num('hi')).toBe(22);
    expect(o.element('t_pairs', 1).address).toBe(thingVa + 0x58n);
    expect(() => o.element('t_pairs', 2)).toThrow('thing.t_pairs[2] lies outside the array (2 elements)');
    expect(() => o.num('t_inner')).toThrow('thing.t_inner is not an integer field');
    expect(() => o.num('t_missing')).toThrow('the symbol table (synthetic ISF) has no field thing.t_missing');
  });

  it('unreadable memory is a NotPresentError naming the address', () => {
    const r = ctx.tryObject('thing', hole + 0x100n);
    expect(r).toBeInstanceOf(NotPresentError);
    expect((r as NotPresentError).address).toBe(hole + 0x100n);
    expect((r as UnfoldError).message).toContain(`virtual address 0x${(hole + 0x100n).toString(16)}`);
    expect(() => ctx.object('thing', hole)).toThrow(NotPresentError);
    expect(ctx.readCString(thingVa + 0x38n)).toBe('launchd');
  });
});

describe('pointers: PAC stripping', () => {
  it('forces the bits above the VA width to 1 on kernel pointers, clears them on user pointers', () => {
    expect(stripPointer('arm64', 0x8a92_fe10_0000_1230n)).toBe(0xffff_fe10_0000_1230n);
    expect(stripPointer('arm64', 0xffff_fe10_0000_1230n)).toBe(0xffff_fe10_0000_1230n);
    expect(stripPointer('arm64', 0x0012_7e10_0000_1230n & ~(1n << 55n))).toBe(0x0000_7e10_0000_1230n);
    expect(stripPointer('arm64', 0n)).toBe(0n);
    expect(stripPointer('x86_64', 0x8a12_fe10_0000_1230n)).toBe(0x8a12_fe10_0000_1230n);
  });

  it('object pointers come back stripped on arm64', () => {
    const k = createSynthKernel({ arch: 'arm64', banner: sampleBanner(21, 'T8112') });
    k.addUserType('inner', INNER);
    const va = k.global('signed_thing', 0x10, 16);
    const target = k.alloc(64);
    const signed = (target & 0x0000_7fff_ffff_ffffn) | (0x5b3an << 48n) | (1n << 55n); // PAC in bits 47–63, bit 55 kept
    k.writeU64(va + 8n, signed);
    k.writeU32(target, 0x1234);
    const ctx = contextOf(k);
    expect(ctx.vaBits).toBe(47);
    const o = ctx.globalObject('signed_thing', 'inner');
    expect(o.u64('i_p')).toBe(signed);
    expect(o.pointer('i_p')).toBe(target);
    expect(ctx.readU32(o.pointer('i_p'))).toBe(0x1234);
    expect(ctx.readPointer(va + 8n)).toBe(target);
  });
});

describe('pointers: packed pointers by version', () => {
  const rel = (base: bigint, bits: number, shift: number): PackingParams => ({ base, bits, shift, baseRelative: true });

  it('base-relative and sign-extended schemes', () => {
    const p = rel(0xffff_ff7f_8000_0000n, 31, 6);
    expect(unpackPointer(0x123n, p)).toBe(0xffff_ff7f_8000_0000n + (0x123n << 6n));
    expect(unpackPointer(0n, p)).toBe(0n);
    expect(packPointer(0xffff_ff80_4000_1240n, p)).toBe((0xffff_ff80_4000_1240n - 0xffff_ff7f_8000_0000n) >> 6n);
    const s: PackingParams = { base: 0n, bits: 47, shift: 0, baseRelative: false };
    expect(unpackPointer(0x7e10_0000_1234n, s)).toBe(0xffff_fe10_0000_1234n);
    expect(unpackPointer(0x3e10_0000_1234n, s)).toBe(0x3e10_0000_1234n); // bit 46 clear: no extension
    expect(packPointer(0xffff_fe10_0000_1234n, s)).toBe(0x7e10_0000_1234n);
  });

  it('c_slot back-pointer before 11.0 (x86_64): (packed << 2) + 0xffffff7f80000000', () => {
    const k = createSynthKernel({ arch: 'x86_64', banner: sampleBanner(17) });
    const ctx = contextOf(k);
    const info = ctx.packing('c_slot');
    expect(info.params).toEqual({ base: 0xffff_ff7f_8000_0000n, bits: 36, shift: 2, baseRelative: true });
    expect(info.source).toBe('built-in (x86_64, x86_64 c_slot)');
    expect(ctx.slotVariant).toBe('x86_64');
    expect(ctx.unpack('c_slot', 0x1_0000_0123n)).toBe(0xffff_ff7f_8000_0000n + (0x1_0000_0123n << 2n));
  });

  it('vm_page on 10.12–10.15: the vm_min_kernel_and_kext_address / vm_packed_pointer_shift globals, bit 31 = vm_pages index', () => {
    const k = createSynthKernel({ arch: 'x86_64', banner: sampleBanner(16) });
    k.addUserType('vm_page', { kind: 'struct', size: 0x48, fields: { listq: { offset: 0, type: base('unsigned long long') } } });
    const b = k.global('vm_min_kernel_and_kext_address', 8);
    k.writeU64(b, 0xffff_ff7f_0000_0000n); // deliberately not the default
    const sh = k.global('vm_packed_pointer_shift', 4, 4);
    k.writeU32(sh, 6);
    const pages = k.alloc(0x48 * 16, 64);
    const vp = k.global('vm_pages', 8);
    k.writeU64(vp, pages);
    const ctx = contextOf(k);
    expect(ctx.packing('vm_page').source).toBe('globals vm_min_kernel_and_kext_address / vm_packed_pointer_shift');
    expect(ctx.unpackPage(0x0102_0304)).toBe(0xffff_ff7f_0000_0000n + (0x0102_0304n << 6n));
    expect(ctx.unpackPage(0x8000_0005)).toBe(pages + 5n * 0x48n);
    expect(ctx.unpackPage(0)).toBe(0n);
    expect(ctx.unpack('vm_object', 0x10)).toBe(0xffff_ff7f_0000_0000n + 0x400n);
  });

  it('vm_page links before 10.12 are not packed', () => {
    const ctx = contextOf(createSynthKernel({ arch: 'x86_64', banner: sampleBanner(15) }));
    let err: unknown;
    try {
      ctx.unpack('vm_page', 5);
    } catch (e) {
      err = e;
    }
    expect((err as UnfoldError).code).toBe('NOT_PACKED');
    expect((err as Error).message).toBe('vm_page pointers are not packed in xnu 3248.60.11');
  });

  it('11.0+: the kernel\'s vm_page_packing_params / c_slot_packing_params globals win', () => {
    const k = createSynthKernel({ arch: 'arm64', banner: sampleBanner(21, 'T8112') });
    const writeParams = (name: string, p: PackingParams) => {
      const g = k.global(name, 16, 8);
      k.writeU64(g, p.base);
      k.write(g + 8n, new Uint8Array([p.bits, p.shift, p.baseRelative ? 1 : 0]));
    };
    writeParams('vm_page_packing_params', rel(0xffff_fe10_0000_0000n, 31, 6));
    writeParams('c_slot_packing_params', rel(0xffff_fe0f_0000_0000n, 33, 2));
    const ctx = contextOf(k);
    expect(ctx.packing('vm_page')).toEqual({ params: rel(0xffff_fe10_0000_0000n, 31, 6), source: 'global vm_page_packing_params' });
    expect(ctx.packing('c_slot').source).toBe('global c_slot_packing_params');
    expect(ctx.slotVariant).toBe('arm64');
    expect(ctx.sizeOf('c_slot')).toBe(8);
    expect(ctx.unpack('c_slot', 0x4_0000_0001n)).toBe(0xffff_fe0f_0000_0000n + (0x4_0000_0001n << 2n));
    expect(ctx.unpack('vm_object', 0x7fff_ffff)).toBe(0xffff_fe10_0000_0000n + (0x7fff_ffffn << 6n));
  });

  it('implausible packing globals fall back to the built-in values, with a note', () => {
    const k = createSynthKernel({ arch: 'arm64', banner: sampleBanner(21, 'T8112') });
    const g = k.global('c_slot_packing_params', 16, 8);
    k.writeU64(g, 0x1234n);
    k.write(g + 8n, new Uint8Array([200, 40, 1]));
    const ctx = contextOf(k);
    expect(ctx.packing('c_slot')).toEqual({ params: rel(0xffff_fe00_0000_0000n, 33, 2), source: 'built-in (arm64, arm64 c_slot)' });
    expect(ctx.notes).toContain('c_slot_packing_params holds implausible values (bits 200, shift 40, base 0x1234); using built-in packing');
  });

  const m1 = (xnu: string, soc: string) => `Darwin Kernel Version 20.1.0: Sat Oct 31 00:07:10 PDT 2020; root:xnu-${xnu}~1/RELEASE_ARM64_${soc}`;

  it('M1 (H13) kernels of xnu 7195–8792: the 12-byte popcount c_slot, back-pointer unpacked in 47 bits', () => {
    for (const [xnu, soc] of [['7195.50.7', 'T8103'], ['8020.140.41', 'T8101'], ['8792.81.2', 'T6000']] as const) {
      const ctx = contextOf(createSynthKernel({ arch: 'arm64', banner: m1(xnu, soc) }));
      expect(ctx.soc, xnu).toBe(soc);
      expect(ctx.slotVariant, xnu).toBe('arm64-popcount');
      expect(ctx.packing('c_slot').params, xnu).toEqual({ base: 0xffff_fe00_0000_0000n, bits: 47, shift: 0, baseRelative: false });
      expect(ctx.sizeOf('c_slot')).toBe(12);
      expect(ctx.field('c_slot', 'c_packed_ptr').bitStart).toBe(49);
      expect(ctx.field('c_slot', 'c_packed_ptr').bitLength).toBe(47);
      expect(ctx.field('c_slot', 'c_inline_popcount').bitStart).toBe(31);
      expect(ctx.unpack('c_slot', 0x7e10_0000_4ab4n)).toBe(0xffff_fe10_0000_4ab4n);
    }
  });

  it('other SoCs, and M1 from 13.3 (xnu 8796), use the 8-byte c_slot', () => {
    for (const [xnu, soc] of [['8796.101.5', 'T8103'], ['8792.81.2', 'T8112'], ['7195.50.7', 'VMAPPLE']] as const) {
      const ctx = contextOf(createSynthKernel({ arch: 'arm64', banner: m1(xnu, soc) }));
      expect(ctx.slotVariant, `${xnu} ${soc}`).toBe('arm64');
      expect(ctx.sizeOf('c_slot')).toBe(8);
      expect(ctx.field('c_slot', 'c_packed_ptr').bitStart).toBe(31);
    }
  });

  it('an unnamed SoC is settled by c_slot_packing_params (47 bits → popcount slot)', () => {
    const k = createSynthKernel({ arch: 'arm64', banner: 'Darwin Kernel Version 21.6.0: Sat Jun 18 17:07:25 PDT 2022; root:xnu-8020.140.41~1/RELEASE_ARM64' });
    const g = k.global('c_slot_packing_params', 16, 8);
    k.writeU64(g, 0xffff_fe00_0000_0000n);
    k.write(g + 8n, new Uint8Array([47, 0, 0]));
    const ctx = contextOf(k);
    expect(ctx.soc).toBeNull();
    expect(ctx.slotVariant).toBe('arm64-popcount');
    expect(ctx.sizeOf('c_slot')).toBe(12);
    expect(ctx.notes).toContain('c_slot_packing_params says arm64-popcount c_slot; built-in c_slot follows it');
    expect(ctx.unpack('c_slot', 0x7e10_0000_4ab4n)).toBe(0xffff_fe10_0000_4ab4n);
  });
});

describe('context of a discovered kernel', () => {
  it('contextOfKernel takes space, symbols, slide and version from discovery', async () => {
    const { discoverKernel } = await import('../../core/darwin/discover');
    const { memoryImage } = await import('../../core/synth/kernel');
    const { fromIsfObject } = await import('../../core/symbols/isf');
    const { contextOfKernel } = await import('../../core/darwin/kernel');
    const k = createSynthKernel({ arch: 'x86_64', banner: sampleBanner(19), slide: 0x2200000n });
    const va = k.global('answer', 8);
    k.writeU64(va, 42n);
    const img = k.finish();
    const found = await discoverKernel(memoryImage(img.memory), fromIsfObject(img.isf, 'synthetic ISF'));
    const ctx = contextOfKernel(found);
    expect(ctx.slide).toBe(0x2200000n);
    expect(ctx.global('answer')).toBe(va);
    expect(ctx.u64Global('answer')).toBe(42n);
    expect(ctx.xnu).toEqual([6153, 141, 1]);
  });
});
