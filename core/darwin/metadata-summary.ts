// What a compressor tells before any page is decoded: each decodable slot's kind from its size, its
// codec bit and the first word of its stored bytes (xnu's own order of tests, as slot-decode.ts), and
// which slots lie on buffer pages the image lacks. A corrupt stream is only found by decoding it, so
// a kind counted here is the kind the slot claims to be.
import { classifyStream } from '../codecs/page';
import { holeIn, type Hole } from '../translate/present';
import type { VirtualSpace } from '../translate/types';
import type { PhysicalImage } from '../image/types';
import type { SlotMeta } from './slot-decode';
import type { SlotKind } from './types';
import { SLOT_KINDS } from './types';

const KIND_INDEX = new Map<SlotKind, number>(SLOT_KINDS.map((k, i) => [k, i]));

/** one segment's slots counted by kind (indexed like SLOT_KINDS) and the slots that could not be read */
export interface SegmentKinds {
  counts: number[];
  unreadable: number;
}

/** kinds of `slots` from a buffer as read (holes = absent pages); nothing is decoded */
export function kindsFromBuffer(bytes: Uint8Array, holes: readonly Hole[] | undefined, slots: readonly SlotMeta[], pageSize: number, dictPreset: 0 | 1): SegmentKinds {
  const counts = new Array<number>(SLOT_KINDS.length).fill(0);
  let unreadable = 0;
  const gaps = holes ?? [];
  for (const s of slots) {
    const end = s.offset + s.size;
    if (end > bytes.length || (gaps.length > 0 && holeIn(gaps, s.offset, end) !== null)) {
      unreadable++;
      counts[KIND_INDEX.get('corrupt')!]!++;
      continue;
    }
    let kind: SlotKind = classifyStream(bytes.subarray(s.offset, end), pageSize, dictPreset);
    if (s.codec === 1 && (kind === 'wkdm' || kind === 'mzv')) kind = 'lz4';
    counts[KIND_INDEX.get(kind)!]!++;
  }
  return { counts, unreadable };
}

/** add SegmentKinds counts into a kinds record */
export function addKinds(into: Partial<Record<SlotKind, number>>, counts: readonly number[]): void {
  counts.forEach((n, i) => {
    if (n > 0) into[SLOT_KINDS[i]!] = (into[SLOT_KINDS[i]!] ?? 0) + n;
  });
}

/**
 * The pages of a buffer the image lacks, found by translation alone (no byte is read): the same
 * holes readPresent would report, one per absent page, for a command that needs to know what
 * could be read but not the bytes themselves.
 */
export function absentPages(space: VirtualSpace, image: PhysicalImage, va: bigint, length: number): Hole[] {
  const holes: Hole[] = [];
  const ps = space.pageSize;
  const first = Number(va % BigInt(ps));
  let pos = 0;
  while (pos < length) {
    const n = Math.min(length - pos, pos === 0 ? ps - first : ps);
    const at = va + BigInt(pos);
    const phys = space.tryTranslate(at);
    if (phys < 0) holes.push({ from: pos, to: pos + n, error: `virtual 0x${at.toString(16)} is not mapped` });
    else if (!image.isPresent(phys, n)) holes.push({ from: pos, to: pos + n, error: `virtual 0x${at.toString(16)} maps to physical 0x${phys.toString(16)} which is not in the image` });
    pos += n;
  }
  return holes;
}
