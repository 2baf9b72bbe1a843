// The single-value page table (10.11+): c_segment_sv_hash_table[1024] of struct c_sv_hash_entry
// {he_ref, he_data}. Pages made of one repeated 32-bit word live only here (no slot): each entry with
// a non-zero reference count is a value and the number of pages filled with it (docs/compressor.md §6.3).
// The entry layout is read by field name (ISF, else the built-in c_sv_hash_entry).
import { UnfoldError } from '../errors';
import type { KernelContext } from './kernel';
import { SV_ENTRY, SV_HASH_SIZE } from './layouts';
import type { SvEntry } from './types';

export interface SvEntryLayout {
  size: number;
  refOffset: number;
  dataOffset: number;
}

const REF = 'c_sv_he_un.c_sv_he.c_sv_he_ref';
const DATA = 'c_sv_he_un.c_sv_he.c_sv_he_data';

/** entries with a non-zero he_ref, in table order */
export function parseSvTable(bytes: Uint8Array, layout: SvEntryLayout | number = SV_ENTRY): SvEntry[] {
  const l = typeof layout === 'number' ? { ...SV_ENTRY, size: layout } : layout;
  const out: SvEntry[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Math.floor(bytes.byteLength / l.size);
  for (let i = 0; i < n; i++) {
    const base = i * l.size;
    const ref = dv.getUint32(base + l.refOffset, true);
    if (ref === 0) continue;
    const data = dv.getUint32(base + l.dataOffset, true);
    out.push({ index: i, value: '0x' + data.toString(16).padStart(8, '0'), refCount: ref });
  }
  return out;
}

/** the entry layout from the symbol table, else the built-in one (he_ref @0, he_data @4, 8 bytes) */
export function svEntryLayout(ctx: KernelContext): SvEntryLayout {
  if (ctx.hasField('c_sv_hash_entry', REF) && ctx.hasField('c_sv_hash_entry', DATA)) {
    return { size: ctx.sizeOf('c_sv_hash_entry') || SV_ENTRY.size, refOffset: ctx.field('c_sv_hash_entry', REF).offset, dataOffset: ctx.field('c_sv_hash_entry', DATA).offset };
  }
  return { ...SV_ENTRY, size: (ctx.hasType('c_sv_hash_entry') && ctx.sizeOf('c_sv_hash_entry')) || SV_ENTRY.size };
}

/**
 * Read the table at the slid c_segment_sv_hash_table. A table that is not in the image gives no
 * entries and a problem text instead of an exception; so does a kernel without the symbol.
 */
export function readSvTable(ctx: KernelContext, entries: number = SV_HASH_SIZE): { entries: SvEntry[]; problem?: string } {
  const va = ctx.tryGlobal('c_segment_sv_hash_table');
  if (va === null) return { entries: [], problem: 'no c_segment_sv_hash_table symbol: single-value pages not listed' };
  const layout = svEntryLayout(ctx);
  try {
    return { entries: parseSvTable(ctx.read(va, layout.size * entries), layout) };
  } catch (err) {
    if (err instanceof UnfoldError) return { entries: [], problem: `c_segment_sv_hash_table at 0x${va.toString(16)}: ${err.message}` };
    throw err;
  }
}

/** Σ he_ref: pages held only by the table */
export function svPages(entries: readonly SvEntry[]): number {
  let n = 0;
  for (const e of entries) n += e.refCount;
  return n;
}
