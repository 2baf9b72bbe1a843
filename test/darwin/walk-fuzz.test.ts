// Damaged kernel structures: random bytes of one c_segment (or of its entry in the c_segments table)
// are overwritten, and the walk must still finish, throw nothing but a typed Unfold error, report
// what it could not read, and give every *other* segment's slots exactly as the builder made them.
import { describe, it, expect } from 'vitest';
import { buildScenario, type BuiltScenario } from '../../core/synth/scenarios';
import { walkCompressor } from '../../core/darwin/compressor';
import { UnfoldError } from '../../core/errors';
import { SLOT_KINDS } from '../../core/darwin/types';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** writes one byte of physical memory of a finished synthetic image */
function poke(s: BuiltScenario, phys: number, value: number): number {
  for (const c of s.image.memory.chunks) {
    if (phys >= c.start && phys < c.start + c.data.length) {
      const old = c.data[phys - c.start]!;
      c.data[phys - c.start] = value;
      return old;
    }
  }
  throw new Error(`physical 0x${phys.toString(16)} is not in the image`);
}

const key = (r: { segment: number; slot: number; kind: string; sha256?: string }) => `${r.segment}/${r.slot}/${r.kind}/${r.sha256 ?? '-'}`;

describe('the walk over damaged structures', () => {
  for (const name of ['F1-x86_64', 'F4-x86_64', 'F9-x86_64', 'F9-arm64']) {
    it(`${name}: 150 random corruptions of one segment each; the others come out intact`, () => {
      const s = buildScenario(name);
      const { space, symbols, version, slide } = s.open();
      const table = space.readU64(symbols.symbolAddress('c_segments')! + slide);
      // the struct and its inline slots, and nothing beyond: the next zone element may be another segment
      const structSize = symbols.userTypes['c_segment']!.size;
      const fixedVa = symbols.symbolAddress('c_seg_fixed_array_len');
      const fixedLen = fixedVa === undefined ? 0 : space.readU32(fixedVa + slide);
      const segSize = structSize + 8 * fixedLen;
      const segments = s.truth.segments.map((t) => t.index);
      const random = rng(name.length * 7919);
      let typedFailures = 0;
      for (let round = 0; round < 150; round++) {
        const victim = segments[Math.floor(random() * segments.length)]!;
        const entryVa = table + BigInt(victim * 8);
        const segVa = space.readU64(entryVa);
        // mostly the struct, sometimes the table entry that points at it
        const hitEntry = random() < 0.15;
        const saved: [number, number][] = [];
        const n = 1 + Math.floor(random() * 6);
        for (let i = 0; i < n; i++) {
          const va = hitEntry ? entryVa + BigInt(Math.floor(random() * 8)) : segVa + BigInt(Math.floor(random() * segSize));
          const phys = space.tryTranslate(va);
          if (phys < 0) continue;
          saved.push([phys, poke(s, phys, Math.floor(random() * 256))]);
        }
        try {
          // a fresh space: page-table and translation caches must not hide the damage
          const fresh = s.open();
          const res = walkCompressor(fresh.space, fresh.symbols, fresh.version, { slide: fresh.slide });
          for (const r of res.slots) expect(SLOT_KINDS).toContain(r.kind);
          const got = new Set(res.slots.filter((r) => r.segment !== victim).map(key));
          for (const t of s.truth.slots) if (t.segment !== victim) expect(got.has(key(t)), `${name} round ${round}: ${key(t)}`).toBe(true);
        } catch (e) {
          // only a typed error, and only when the damage leaves nothing to walk
          expect(e).toBeInstanceOf(UnfoldError);
          typedFailures++;
        } finally {
          for (const [phys, old] of saved.reverse()) poke(s, phys, old);
        }
      }
      // damage to one segment never stops the walk of the others
      expect(typedFailures).toBe(0);
      void version;
    });
  }
});
