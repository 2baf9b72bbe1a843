// What the app's process methods ask of the façade, on the demo image: a region's pages a slice at a
// time (the same pages as the whole list), owners of a segment's slots by slot (the same as one by one),
// and a process dump through the façade (refusing an existing folder).
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { openCase, type Case } from '../../core/case';
import { ensureDemoCase } from '../../core/demo';

let c: Case;
let dir: string;
beforeAll(async () => {
  const demo = await ensureDemoCase();
  c = await openCase(demo.imagePath, { symbols: demo.symbolsPath, threads: 0 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'unfold-procapp-'));
}, 120_000);
afterAll(async () => {
  await c?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('façade for the app’s process views', () => {
  it('region pages come a slice at a time, equal to the whole list', () => {
    const r = c.maps(412).find((x) => x.pages.compressed > 0 && Object.values(x.pages).reduce((a, b) => a + b, 0) >= 4)!;
    const all = c.regionPages(412, BigInt(r.start));
    const total = Object.values(r.pages).reduce((a, b) => a + b, 0);
    expect(all.total).toBe(total);
    expect(all.first).toBe(0);
    expect(all.pages.length).toBe(total);
    // the states of the list add up to the region's counts
    for (const s of ['resident', 'compressed', 'single', 'swapped', 'absent'] as const) expect(all.pages.filter((p) => p.state === s).length).toBe(r.pages[s]);
    const slice = c.regionPages(412, BigInt(r.start), 1, 2);
    expect(slice.first).toBe(1);
    expect(slice.total).toBe(total);
    expect(slice.pages).toEqual(all.pages.slice(1, 3));
    expect(c.regionPages(412, BigInt(r.start), total - 1, 4096).pages).toEqual(all.pages.slice(total - 1));
    expect(() => c.regionPages(412, BigInt(r.start), total + 1)).toThrow(`region ${r.start} of process 412 has ${total} pages; there is no page ${total + 1}`);
    expect(() => c.regionPages(412, BigInt(r.start) + 1n)).toThrow(/process 412 has no region starting at/);
    expect(() => c.regionPages(99999, BigInt(r.start))).toThrow(/no process with pid 99999/);
  });

  it('segment owners are the slot owners of every owned slot', () => {
    let owned = 0;
    for (const s of c.segments()) {
      const byslot = c.segmentOwners(s.index);
      for (const r of c.slots(s.index)) {
        const one = c.slotOwners(s.index, r.slot);
        if (one.length === 0) expect(byslot[r.slot]).toBeUndefined();
        else {
          expect(byslot[r.slot]).toEqual(one);
          owned++;
        }
      }
    }
    // every live slot is either owned or counted as unowned
    const live = c.segments().reduce((n, s) => n + c.slots(s.index).length, 0);
    expect(owned).toBeGreaterThan(0);
    expect(owned + c.info.processes!.unownedSlots!).toBe(live);
  });

  it('procDump writes the dump with a manifest whose hash it returns, and refuses an existing folder', async () => {
    const out = path.join(dir, 'safari');
    const r = await c.procDump({ pid: 412, out });
    expect(createHash('sha256').update(readFileSync(path.join(out, 'manifest.json'))).digest('hex')).toBe(r.manifestSha256);
    expect(r.files.map((f) => f.path)).toEqual(c.maps(412).map((m) => `pid.412.vma.${m.start}-${m.end}.dmp`));
    await expect(c.procDump({ pid: 412, out })).rejects.toThrow(/exists/);
    expect(createHash('sha256').update(readFileSync(path.join(out, 'manifest.json'))).digest('hex')).toBe(r.manifestSha256);
    await expect(c.procDump({ pid: 4242, out: path.join(dir, 'none') })).rejects.toThrow(/no process with pid 4242/);
  });
});
