// The single-value page table (10.11+): c_segment_sv_hash_table[1024] of {he_ref, he_data}. Pages
// made of one repeated 32-bit word live only here (no slot): each entry with a non-zero reference
// count is a value and the number of pages filled with it (docs/compressor.md §6.3).
import { UnfoldError } from '../errors';
import type { VirtualSpace } from '../translate/types';
import { SV_ENTRY, SV_HASH_SIZE } from './layouts';
import type { SvEntry } from './types';

/** entries with a non-zero he_ref, in table order */
export function parseSvTable(bytes: Uint8Array, entrySize: number = SV_ENTRY.size): SvEntry[] {
  const out: SvEntry[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Math.floor(bytes.byteLength / entrySize);
  for (let i = 0; i < n; i++) {
    const base = i * entrySize;
    const ref = dv.getUint32(base + SV_ENTRY.refOffset, true);
    if (ref === 0) continue;
    const data = dv.getUint32(base + SV_ENTRY.dataOffset, true);
    out.push({ index: i, value: '0x' + data.toString(16).padStart(8, '0'), refCount: ref });
  }
  return out;
}

/**
 * Read the table at `tableVa` (the slid address of the c_segment_sv_hash_table symbol). A table that
 * is not in the image gives no entries and a problem text instead of an exception.
 */
export function readSvTable(
  space: VirtualSpace,
  tableVa: bigint,
  entrySize: number = SV_ENTRY.size,
  entries: number = SV_HASH_SIZE,
): { entries: SvEntry[]; problem?: string } {
  try {
    const bytes = space.read(tableVa, entrySize * entries);
    return { entries: parseSvTable(bytes, entrySize) };
  } catch (err) {
    if (err instanceof UnfoldError) {
      return { entries: [], problem: `c_segment_sv_hash_table at 0x${tableVa.toString(16)}: ${err.message}` };
    }
    throw err;
  }
}

/** Σ he_ref: pages held only by the table */
export function svPages(entries: readonly SvEntry[]): number {
  let n = 0;
  for (const e of entries) n += e.refCount;
  return n;
}
