// The one data module of built-in kernel layouts that kernel discovery and the object layer read when
// the ISF lacks them, in ISF shape (read by field name like any ISF type):
//   lowglo                x86_64 low-memory globals page (osfmk/x86_64/lowglobals.h, identical 10.9 → 15):
//                         lgVerCode "Catfish " @0, lgZero @8, lgStext @0x10, lgVersion @0x30 (slid
//                         pointer to `version`), lgOSVersion @0x920, lgKdpJtagCoredumpAddr @0x938
//   _kdp_jtag_coredump_t  what the kernel fills for JTAG core dumps (debug boot-arg): signature
//                         "PMUDEROC" @0, kernel_pmap_pml4 @0x20, physmap_base @0x40
//   pmap                  x86_64: pm_cr3 (physical PML4) @0x40 after the 64-byte-aligned lock (7195+;
//                         the value every tag read has); arm64: tte @0 (root table VA), ttep @8 (its
//                         physical address) in every arm64 pmap variant (process-memory §1.4)
import type { TypeRef, UserType } from '../symbols/types';
import type { Arch } from '../translate/types';

const U64: TypeRef = { kind: 'base', name: 'unsigned long long' };
const U8: TypeRef = { kind: 'base', name: 'unsigned char' };
const PTR: TypeRef = { kind: 'pointer', subtype: { kind: 'base', name: 'void' } };
const bytes = (count: number): TypeRef => ({ kind: 'array', count, subtype: U8 });

/** "Catfish " + lgZero: the first 16 bytes of a valid lowglo page */
export const LOWGLO_SIGNATURE = 'Catfish \0\0\0\0\0\0\0\0';
/** _kdp_jtag_coredump_t.signature ("PMUDEROC" little-endian) */
export const JTAG_COREDUMP_SIGNATURE = 0x434f524544554d50n;

const LOWGLO: UserType = {
  kind: 'struct',
  size: 0x1000,
  fields: {
    lgVerCode: { offset: 0x00, type: bytes(8) },
    lgZero: { offset: 0x08, type: U64 },
    lgStext: { offset: 0x10, type: U64 },
    lgVersion: { offset: 0x30, type: U64 },
    lgCompressorBufferAddr: { offset: 0x38, type: U64 },
    lgCompressorSizeAddr: { offset: 0x40, type: U64 },
    lgOSVersion: { offset: 0x920, type: U64 },
    lgKdpJtagCoredumpAddr: { offset: 0x938, type: U64 },
  },
};

const JTAG_COREDUMP: UserType = {
  kind: 'struct',
  size: 0x48,
  fields: {
    signature: { offset: 0x00, type: U64 },
    version: { offset: 0x08, type: U64 },
    kernel_map_start: { offset: 0x10, type: U64 },
    kernel_map_end: { offset: 0x18, type: U64 },
    kernel_pmap_pml4: { offset: 0x20, type: U64 },
    pmap_memory_regions: { offset: 0x28, type: U64 },
    pmap_memory_region_count: { offset: 0x30, type: U64 },
    pmap_memory_region_t_size: { offset: 0x38, type: U64 },
    physmap_base: { offset: 0x40, type: U64 },
  },
};

const PMAP_X86_64: UserType = { kind: 'struct', size: 0x50, fields: { pm_cr3: { offset: 0x40, type: U64 }, pm_ucr3: { offset: 0x48, type: U64 } } };
const PMAP_ARM64: UserType = { kind: 'struct', size: 0x10, fields: { tte: { offset: 0, type: PTR }, ttep: { offset: 8, type: U64 } } };

/** built-in types of the kernel's own structures discovery reads, for one architecture */
export function kernelFallbackTypes(arch: Arch): Record<string, UserType> {
  return arch === 'x86_64' ? { lowglo: LOWGLO, _kdp_jtag_coredump_t: JTAG_COREDUMP, pmap: PMAP_X86_64 } : { pmap: PMAP_ARM64 };
}
