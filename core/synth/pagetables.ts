// Per-process page tables for synthetic images: a user pmap root that maps the process's resident
// pages, so a per-process VA translation can be tested.
//   x86_64: IA-32e 4-level, 4 KiB pages; PML4[511] shared with the kernel's (pm_cr3 of a user pmap
//           maps the kernel half too, as on a real Mac); user PTEs P|US (+RW, NX unless executable).
//   arm64:  TTBR0 table with the 16 KiB granule and T0SZ = 17 (47-bit user VAs): L1 bits 46:36,
//           L2 35:25, L3 24:14; page descriptors valid|page|AF|nG, AP[1] (EL0 access), AP[2] read-only,
//           PXN always, UXN unless executable.
import type { SynthKernelBuilder } from './kernel';

const MASK64 = (1n << 64n) - 1n;

export interface UserPageTable {
  /** physical address of the root table (pm_cr3 / ttep) */
  readonly root: number;
  /** map one page (kernel page size) of user VA to a physical page, with VM_PROT bits */
  map(va: bigint, phys: number, prot: number): void;
  /** physical page of a user VA as mapped here, or -1 (for the builder's own checks) */
  lookup(va: bigint): number;
}

function u64(k: SynthKernelBuilder, phys: number): bigint {
  return new DataView(k.readPhys(phys, 8).buffer).getBigUint64(0, true);
}

function put64(k: SynthKernelBuilder, phys: number, v: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v & MASK64, true);
  k.writePhys(phys, b);
}

export function createUserPageTable(k: SynthKernelBuilder): UserPageTable {
  return k.arch === 'x86_64' ? x86Table(k) : armTable(k);
}

function x86Table(k: SynthKernelBuilder): UserPageTable {
  const root = k.allocPhysPage();
  put64(k, root + 511 * 8, u64(k, k.dtb + 511 * 8));
  const addr = (e: bigint): number => Number(e & 0x000ffffffffff000n);
  const next = (table: number, idx: number, create: boolean): number => {
    const e = u64(k, table + idx * 8);
    if (e & 1n) return addr(e);
    if (!create) return -1;
    const t = k.allocPhysPage();
    put64(k, table + idx * 8, BigInt(t) | 0x7n); // present, writable, user
    return t;
  };
  const idx = (va: bigint, shift: bigint): number => Number((va >> shift) & 0x1ffn);
  const walk = (va: bigint, create: boolean): number => {
    if (va < 0n || va >= 1n << 47n) throw new Error(`synth: 0x${va.toString(16)} is not a user VA`);
    let t = root;
    for (const s of [39n, 30n, 21n]) {
      t = next(t, idx(va, s), create);
      if (t < 0) return -1;
    }
    return t + idx(va, 12n) * 8;
  };
  return {
    root,
    map(va, phys, prot) {
      const pte = walk(va, true);
      let v = BigInt(phys) | 0x1n | 0x4n | 0x20n; // present, user, accessed
      if (prot & 2) v |= 0x2n | 0x40n; // writable, dirty
      if (!(prot & 4)) v |= 1n << 63n;
      put64(k, pte, v);
    },
    lookup(va) {
      const pte = walk(va, false);
      if (pte < 0) return -1;
      const e = u64(k, pte);
      return e & 1n ? addr(e) : -1;
    },
  };
}

function armTable(k: SynthKernelBuilder): UserPageTable {
  const root = k.allocPhysPage();
  const addr = (e: bigint): number => Number(e & 0x0000ffffffffc000n);
  const idx = (va: bigint, shift: bigint): number => Number((va >> shift) & 0x7ffn);
  const next = (table: number, i: number, create: boolean): number => {
    const e = u64(k, table + i * 8);
    if ((e & 3n) === 3n) return addr(e);
    if (!create) return -1;
    const t = k.allocPhysPage();
    put64(k, table + i * 8, BigInt(t) | 0x3n);
    return t;
  };
  const walk = (va: bigint, create: boolean): number => {
    if (va < 0n || va >= 1n << 47n) throw new Error(`synth: 0x${va.toString(16)} is not a user VA`);
    let t = root;
    for (const s of [36n, 25n]) {
      t = next(t, idx(va, s), create);
      if (t < 0) return -1;
    }
    return t + idx(va, 14n) * 8;
  };
  return {
    root,
    map(va, phys, prot) {
      const d = walk(va, true);
      // valid | page | AP[1]=EL0 | AF | nG | PXN
      let v = BigInt(phys) | 0x3n | 0x40n | 0x400n | 0x800n | (1n << 53n);
      if (!(prot & 2)) v |= 0x80n; // AP[2]: read-only
      if (!(prot & 4)) v |= 1n << 54n; // UXN
      put64(k, d, v);
    },
    lookup(va) {
      const d = walk(va, false);
      if (d < 0) return -1;
      const e = u64(k, d);
      return (e & 3n) === 3n ? addr(e) : -1;
    },
  };
}
