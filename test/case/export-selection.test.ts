// Case.export with a selection on a synthetic image: the pages written are the builder's true pages of the
// selected slots, and a slot that is not live is refused by name before anything is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SCENARIO_NAMES, buildScenario, saveSynthImage } from '../../core/synth/scenarios';
import { openCase, type Case } from '../../core/case';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const dir = mkdtempSync(path.join(tmpdir(), 'unfold-case-sel-'));
let c: Case;
let truth: ReturnType<typeof buildScenario>['truth'];

beforeAll(async () => {
  const s = buildScenario(SCENARIO_NAMES[0]!);
  truth = s.truth;
  const { imagePath, isfPath } = await saveSynthImage(s.image, dir, 'sel');
  c = await openCase(imagePath, { symbols: isfPath, threads: 0 });
});
afterAll(async () => {
  await c?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Case.export of a selection', () => {
  it('writes exactly the true pages of the selected slots, and the manifest names them', async () => {
    const decoded = truth.slots.filter((t) => t.sha256 && t.page);
    expect(decoded.length).toBeGreaterThan(1);
    const pick = [decoded[decoded.length - 1]!, decoded[0]!];
    const out = path.join(dir, 'one');
    const r = await c.export({ out, layout: 'slots', overwrite: false, selection: { label: 'two slots', slots: pick.map((t) => ({ segment: t.segment, slot: t.slot })) } });
    expect(r.exported).toBe(2);
    expect(r.liveSlots).toBe(2);
    expect(r.complete).toBe(true);
    const sorted = [...pick].sort((a, b) => a.segment - b.segment || a.slot - b.slot);
    expect(r.files.slice(0, 2)).toEqual(sorted.map((t) => ({ path: `segment${t.segment}/slot${t.slot}.dmp`, bytes: t.page!.length, sha256: t.sha256 })));
    for (const t of sorted) expect(sha(readFileSync(path.join(out, `segment${t.segment}`, `slot${t.slot}.dmp`)))).toBe(t.sha256);
    const segs = new Set(sorted.map((t) => `segment${t.segment}`));
    expect(readdirSync(out).filter((f) => f.startsWith('segment')).sort()).toEqual([...segs].sort());
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { selection: unknown; counts: { slotsReceived: number } };
    expect(m.selection).toEqual({ label: 'two slots', slots: sorted.map((t) => ({ segment: t.segment, slot: t.slot })) });
    expect(m.counts.slotsReceived).toBe(2);
  });

  it('refuses a slot that is not live and a segment that does not exist, writing nothing', async () => {
    const t = truth.slots[0]!;
    const live = new Set(c.slots(t.segment).map((r) => r.slot));
    let dead = 0;
    while (live.has(dead)) dead++;
    const out = path.join(dir, 'bad');
    await expect(c.export({ out, layout: 'slots', overwrite: false, selection: { slots: [{ segment: t.segment, slot: dead }] } })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `slot ${dead} of segment ${t.segment} is not a live slot`,
    });
    await expect(c.export({ out, layout: 'concat', overwrite: false, selection: { slots: [{ segment: 9999, slot: 0 }] } })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'segment 9999 is not a segment of this case',
    });
    await expect(c.export({ out, layout: 'concat', overwrite: false, selection: { slots: [] } })).rejects.toMatchObject({ code: 'BAD_OPTION', message: 'the selection names no slot' });
    expect(readdirSync(dir)).not.toContain('bad');
  });
});
