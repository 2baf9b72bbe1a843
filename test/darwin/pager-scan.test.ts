// The signature scan for compressor pagers no map reaches: which ranges it scans (bounded windows around
// back-pointers, merged and page-aligned), that it invents nothing when asked about nothing, and that
// every pager it finds is one the builder wrote, read with the builder's object, slot count and storage.
import { describe, expect, it } from 'vitest';
import { KernelContext } from '../../core/darwin/kernel';
import { PagerCache } from '../../core/darwin/pager';
import { scanForPagers, scanRanges, WINDOW } from '../../core/darwin/pager-scan';
import { buildScenario, PROC_SCENARIO_NAMES } from '../../core/synth/scenarios';

const hex = (v: bigint | number) => '0x' + v.toString(16);

function open(name: string) {
  const b = buildScenario(name);
  const o = b.open();
  const ctx = new KernelContext({ space: o.space, symbols: o.symbols, slide: o.slide, version: o.version });
  return { truth: b.procs!, ctx };
}

describe('pager scan ranges', () => {
  it('windows of WINDOW bytes each side, page-aligned, merged when they touch', () => {
    const { ctx } = open(PROC_SCENARIO_NAMES[0]!);
    const ps = BigInt(ctx.pageSize);
    const w = BigInt(WINDOW);
    const a = 0xffffff8041234564n;
    const floor = (v: bigint) => (v / ps) * ps;
    const ceil = (v: bigint) => ((v + ps - 1n) / ps) * ps;
    expect(scanRanges(ctx, [])).toEqual([]);
    expect(scanRanges(ctx, [a])).toEqual([{ from: floor(a - w), to: ceil(a + w) }]);
    // a second pointer within the window: one range; one far away: two, in address order
    expect(scanRanges(ctx, [a + 0x1000n, a])).toEqual([{ from: floor(a - w), to: ceil(a + 0x1000n + w) }]);
    const far = a + 16n * w;
    expect(scanRanges(ctx, [far, a])).toEqual([
      { from: floor(a - w), to: ceil(a + w) },
      { from: floor(far - w), to: ceil(far + w) },
    ]);
  });
});

describe.each(PROC_SCENARIO_NAMES.map((n) => [n]))('pager scan of %s', (name) => {
  it('finds every orphan pager near its slots, exactly as written, and nothing without a back-pointer', () => {
    const { truth, ctx } = open(name);
    const none = scanForPagers(ctx, new PagerCache(ctx), []);
    expect([none.bytesScanned, none.hits, none.pagers.length, none.notes]).toEqual([0, 0, 0, []]);
    const orphanSlots = truth.slots.filter((s) => s.owners.length === 0 && s.storage !== 'embedded');
    expect(orphanSlots.length).toBeGreaterThan(0);
    const scan = scanForPagers(ctx, new PagerCache(ctx), orphanSlots.map((s) => s.slotAddress));
    expect(scan.notes).toEqual([]);
    // bounded: exactly the ranges reported, each no wider than the windows of the back-pointers it holds
    expect(scan.bytesScanned).toBe(scan.ranges.reduce((n, r) => n + Number(r.to - r.from), 0));
    for (const r of scan.ranges) {
      const inside = orphanSlots.filter((s) => s.slotAddress >= r.from && s.slotAddress < r.to).length;
      expect(inside).toBeGreaterThan(0);
      expect(Number(r.to - r.from)).toBeLessThanOrEqual(inside * (2 * WINDOW + 2 * ctx.pageSize));
    }
    // (the layouts before 10.11 have no cpgr_num_slots_occupied)
    const hasOccupied = ctx.hasField('compressor_pager', 'cpgr_num_slots_occupied');
    const written = new Map(truth.pagers.map((p) => [hex(p.pager), p]));
    for (const p of scan.pagers) {
      const t = written.get(hex(p.address));
      expect(t, `pager ${hex(p.address)} was not written by the builder`).toBeDefined();
      expect([hex(p.object), p.numSlots, p.occupied, p.storage]).toEqual([hex(t!.object), t!.numSlots, hasOccupied ? t!.occupied : null, t!.storage]);
    }
    const found = new Set(scan.pagers.map((p) => hex(p.address)));
    for (const s of orphanSlots) expect(found.has(hex(s.pager))).toBe(true);
  });
});
