// The c_slot layout and back-pointer of every family scenario: M1-family (H13) kernels of xnu
// 7195–8792 (F6–F8 on arm64: T8101, T6000) use the 12-byte popcount c_slot with the back-pointer
// stored unpacked in 47 bits; everything else the 8-byte slot with (packed << 2) + base. The walk
// plan exposes each live slot's back-pointer as a kernel VA: it must be the address of the pager's
// slot mapping the builder placed for that slot (its process truth, b.procs.slots[].slotAddress).
import { describe, expect, it } from 'vitest';
import { planCompressor, slotBackPointer, walkCompressor } from '../../core/darwin/compressor';
import { SCENARIO_NAMES, buildScenario } from '../../core/synth/scenarios';

const EXPECTED_VARIANT: Record<string, 'x86_64' | 'arm64' | 'arm64-popcount'> = {
  'F6-arm64': 'arm64-popcount', // T8101, 7195.81
  'F7-arm64': 'arm64-popcount', // T6000, 8019.61
  'F8-arm64': 'arm64-popcount', // T8101, 8020.101
  'F9-arm64': 'arm64', // T6000, 10063: the popcount slot is gone from 8796 on
};

describe.each(SCENARIO_NAMES)('c_slot layout and back-pointers, scenario %s', (name) => {
  const variant = EXPECTED_VARIANT[name] ?? 'x86_64';

  for (const isfTypes of [true, false]) {
    it(`${isfTypes ? 'ISF' : 'built-in'} layout: ${variant} slots, every live slot's back-pointer unpacked`, () => {
      const b = buildScenario(name, { isfTypes });
      if (isfTypes) expect(b.image.isf.user_types['c_slot']!.size).toBe(variant === 'arm64-popcount' ? 12 : 8);
      const o = b.open();
      const plan = planCompressor(o.space, o.symbols, o.version, { slide: o.slide });
      expect(plan.header.slotVariant).toBe(variant);
      if (variant === 'arm64-popcount') {
        expect(plan.header.slotPacking).toEqual({ base: '0xfffffe0000000000', bits: 47, shift: 0, baseRelative: false, source: 'global c_slot_packing_params' });
      }
      const bySeg = new Map(plan.segments.map((s) => [s.summary.index, s]));
      const owners = new Map(b.procs!.slots.map((x) => [`${x.segment}:${x.slot}`, x.slotAddress]));
      let checked = 0;
      for (const t of b.truth.slots) {
        const seg = bySeg.get(t.segment)!;
        expect(seg, `segment ${t.segment}`).toBeDefined();
        const want = owners.get(`${t.segment}:${t.slot}`);
        expect(want, `${t.name}: the builder placed a slot mapping`).toBeDefined();
        const got = slotBackPointer(plan, seg, t.slot);
        expect(got, `${t.name} (segment ${t.segment} slot ${t.slot})`).toBe(want);
        // the mapping there names this slot: s_cseg = segment + 1, s_cindx = slot
        const v = o.space.readU32(got!);
        expect([v & 0x3fffff, v >>> 22], t.name).toEqual([t.segment + 1, t.slot]);
        checked++;
      }
      expect(checked).toBe(b.truth.slots.length);
      // past c_nextslot there is nothing
      const some = plan.segments[0]!;
      expect(slotBackPointer(plan, some, some.packedPtrs.length)).toBeNull();
      expect(slotBackPointer(plan, some, -1)).toBeNull();
    });
  }
});

describe('popcount slots through the whole walk', () => {
  it('F7-arm64 (T6000, 12-byte slots): the built-in and ISF walks agree record for record', () => {
    const viaIsf = buildScenario('F7-arm64');
    const viaBuiltIn = buildScenario('F7-arm64', { isfTypes: false });
    const a = viaIsf.open();
    const c = viaBuiltIn.open();
    const ra = walkCompressor(a.space, a.symbols, a.version, { slide: a.slide });
    const rc = walkCompressor(c.space, c.symbols, c.version, { slide: c.slide });
    expect(ra.slots).toEqual(rc.slots);
    expect(ra.slots.map((r) => r.sha256)).toEqual(viaIsf.truth.slots.map((t) => t.sha256));
    expect(rc.summary.layoutSource).toBe('built-in');
  });
});
