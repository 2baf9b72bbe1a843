// The typed tables behind attribution (forward-slots.ts, slot-mappings.ts) against the plain Map
// versions they replaced: the same entries, owners in the order met, the first slot mapping kept;
// back-pointers land on the same slot mapping, overlapping arrays included (the last listed wins).
import { describe, expect, it } from 'vitest';
import { ForwardSlots } from '../../core/darwin/forward-slots';
import type { PagerInfo, SlotArray } from '../../core/darwin/pager';
import { indexSlotMappings } from '../../core/darwin/slot-mappings';

/** a pager over given arrays: values by slot index, arrays at given addresses */
function fakePager(address: bigint, arrays: Array<{ at: bigint; values: number[] }>): PagerInfo {
  const first: number[] = [];
  let n = 0;
  for (const a of arrays) {
    first.push(n);
    n += a.values.length;
  }
  const where = (i: number): { a: number; k: number } | null => {
    for (let a = arrays.length - 1; a >= 0; a--) if (i >= first[a]! && i < first[a]! + arrays[a]!.values.length) return { a, k: i - first[a]! };
    return null;
  };
  return {
    address,
    numSlots: n,
    occupied: null,
    storage: arrays.length > 1 ? 'indirect' : 'direct',
    object: address + 0x1000n,
    slot: (i) => {
      const w = where(i);
      return w === null ? null : { address: arrays[w.a]!.at + BigInt(w.k * 4), value: arrays[w.a]!.values[w.k]! };
    },
    valueAt: (i) => {
      const w = where(i);
      return w === null ? 0 : arrays[w.a]!.values[w.k]!;
    },
    nonZero: () => {
      const out: Array<{ index: number; address: bigint; value: number }> = [];
      arrays.forEach((a, j) => a.values.forEach((v, k) => v !== 0 && out.push({ index: first[j]! + k, address: a.at + BigInt(k * 4), value: v })));
      return out;
    },
    packedAt: () => -1,
    arrays: (): SlotArray[] => arrays.map((a, j) => ({ address: a.at, first: first[j]!, count: a.values.length })),
  };
}

/** what joinOwners built before: every non-zero mapping by address, later pagers overwriting */
function naive(pagers: PagerInfo[]) {
  const m = new Map<bigint, { pager: bigint; object: bigint; page: number; value: number }>();
  for (const p of pagers) for (const s of p.nonZero()) m.set(s.address, { pager: p.address, object: p.object, page: s.index, value: s.value });
  return m;
}

describe('ForwardSlots', () => {
  it('holds what a Map of slot objects held: entries, first mapping, owners in order; grows; far slot numbers', () => {
    const pa = fakePager(0xffffff8000100000n, [{ at: 0xffffff8000200000n, values: [1, 2, 3] }]);
    const pb = fakePager(0xffffff8000300000n, [{ at: 0xffffff8000400000n, values: [4] }]);
    const t = new ForwardSlots(16);
    const ref = new Map<string, { refs: number[]; pager: PagerInfo; index: number; object: bigint; objectOffset: number }>();
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const keys: Array<[number, number]> = [];
    for (let i = 0; i < 3000; i++) keys.push([rnd(40), rnd(i < 2900 ? 700 : 200_000)]);
    keys.push([2_000_000, 5], [3, -1]);
    for (const [k, [seg, slot]] of keys.entries()) {
      const pager = k % 3 === 0 ? pb : pa;
      const index = k % 5;
      const obj = 0xffffff8000500000n + BigInt(k % 4);
      t.add(seg, slot, pager, index, obj, k * 4096, k % 151, k % 40, k);
      const key = `${seg}/${slot}`;
      const r = ref.get(key);
      expect(t.added).toBe(r === undefined);
      if (r === undefined) ref.set(key, { refs: [k % 151, k % 40, k], pager, index, object: obj, objectOffset: k * 4096 });
      else r.refs.push(k % 151, k % 40, k);
    }
    expect(t.size).toBe(ref.size);
    for (const [key, r] of ref) {
      const [seg, slot] = key.split('/').map(Number) as [number, number];
      expect(t.get(seg, slot)).toEqual(r);
      const e = t.find(seg, slot);
      expect(t.pagerOf(e)).toBe(r.pager);
      expect(t.indexOf(e)).toBe(r.index);
    }
    expect(t.find(41, 3)).toBe(-1);
    expect(t.find(0, 65_535)).toBe(-1);
    expect(t.get(2_000_000, 6)).toBeUndefined();
    const per = t.perPager();
    expect(per.get(pa)! + per.get(pb)!).toBe(ref.size);
    expect(per.get(pb)).toBe([...ref.values()].filter((r) => r.pager === pb).length);
  });

  it('refuses a pager index that is no u32', () => {
    const p = fakePager(0x1000n, [{ at: 0x2000n, values: [1] }]);
    expect(() => new ForwardSlots().add(0, 0, p, 1.5, 0n, 0, 0, 0, 0)).toThrow(/slot index 1.5 of pager 0x1000 is no u32/);
  });
});

describe('indexSlotMappings', () => {
  const probe = (pagers: PagerInfo[], addresses: bigint[]) => {
    const idx = indexSlotMappings(pagers);
    const m = naive(pagers);
    for (const a of addresses) expect([a, idx.get(a)]).toEqual([a, m.get(a)]);
  };

  it('finds the mapping at an address as the table of every mapping did (misaligned, zero, outside: none)', () => {
    const p1 = fakePager(0xffffff8000100000n, [{ at: 0xffffff8000200000n, values: [0x10001, 0, 0x20001, 7] }]);
    const p2 = fakePager(0xffffff8000110000n, [
      { at: 0xffffff8000300000n, values: [5, 6] },
      { at: 0xffffff8000200800n, values: [0, 9, 0x30002] },
    ]);
    const addrs: bigint[] = [];
    for (const base of [0xffffff8000200000n, 0xffffff8000300000n, 0xffffff8000200800n]) for (let d = -8n; d < 24n; d++) addrs.push(base + d);
    probe([p1, p2], addrs);
    expect(indexSlotMappings([p1, p2]).get(0xffffff8000200808n)).toEqual({ pager: p2.address, object: p2.object, page: 4, value: 0x30002 });
  });

  it('overlapping arrays: the pager listed last wins, as in the table', () => {
    const p1 = fakePager(0xffffff8000100000n, [{ at: 0xffffff8000200000n, values: [1, 2, 3, 4] }]);
    const p2 = fakePager(0xffffff8000110000n, [{ at: 0xffffff8000200008n, values: [0, 8, 9] }]);
    const addrs: bigint[] = [];
    for (let d = 0n; d < 24n; d += 4n) addrs.push(0xffffff8000200000n + d);
    probe([p1, p2], addrs);
    probe([p2, p1], addrs);
    expect(indexSlotMappings([p1, p2]).get(0xffffff8000200008n)?.value).toBe(3);
    expect(indexSlotMappings([p1, p2]).get(0xffffff800020000cn)?.value).toBe(8);
  });
});
