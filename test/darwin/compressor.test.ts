// The compressor walk on every family scenario (F1–F9 x86_64, F6–F9 arm64), through the ISF's types
// and through the built-in layouts: every live slot once, with the kind, state and SHA-256 the
// builder computed from its own inputs.
import { describe, expect, it } from 'vitest';
import { walkCompressor, type WalkResult } from '../../core/darwin/compressor';
import { geometry } from '../../core/synth/compressor';
import { SCENARIO_NAMES, buildScenario, type BuiltScenario } from '../../core/synth/scenarios';

function walk(b: BuiltScenario): WalkResult {
  const o = b.open();
  return walkCompressor(o.space, o.symbols, o.version, { slide: o.slide });
}

function checkAgainstTruth(b: BuiltScenario, res: WalkResult, layoutSource: 'isf' | 'built-in'): void {
  const t = b.truth;
  const s = res.summary;
  expect(s.family).toBe(t.family);
  expect(s.layoutSource).toBe(layoutSource);
  expect(s.familyReason).toMatch(new RegExp(`^xnu-\\d+\\.\\d+.* → ${t.family} \\(`));
  expect(s.pageSize).toBe(t.pageSize);
  expect(s.dictPreset).toBe(t.dictPreset);
  expect(s.segmentsAvailable).toBe(t.segmentsAvailable);
  expect(s.segmentCount).toBe(t.segmentCount);
  expect(s.pagesCompressed).toBe(t.pagesCompressed);

  // exact counts by kind and by state
  expect(s.slots).toEqual(t.counts.byKind);
  expect(s.segments).toEqual(t.counts.byState);

  // every live slot exactly once, in order, with its outcome
  expect(res.slots.map((r) => `${r.segment}/${r.slot}`)).toEqual(t.slots.map((x) => `${x.segment}/${x.slot}`));
  res.slots.forEach((r, i) => {
    const x = t.slots[i]!;
    const what = `${x.name} (segment ${x.segment} slot ${x.slot})`;
    expect(r.kind, what).toBe(x.kind);
    expect(r.state, what).toBe(x.state);
    expect(r.offset, what).toBe(x.offset);
    expect(r.compressedSize, what).toBe(x.compressedSize);
    expect(r.sha256, what).toBe(x.sha256);
    expect(r.value, what).toBe(x.value);
    if (x.error) {
      expect(r.error, what).toBeDefined();
      for (const part of x.error) expect(r.error, what).toContain(part);
    } else expect(r.error, what).toBeUndefined();
  });

  // segments: only real ones, with their state, residency, swap location and counts
  expect(res.segments.map((g) => g.index)).toEqual(t.segments.map((g) => g.index));
  for (const idx of t.notSegments) expect(res.segments.some((g) => g.index === idx)).toBe(false);
  res.segments.forEach((g, i) => {
    const x = t.segments[i]!;
    const what = `segment ${x.index}`;
    expect(g.address, what).toBe('0x' + x.va.toString(16));
    expect(g.stateName, what).toBe(x.stateName);
    expect(g.state, what).toBe(x.state);
    expect(g.resident, what).toBe(x.resident);
    expect(g.possiblyEncrypted, what).toBe(x.possiblyEncrypted);
    expect(g.liveSlots, what).toBe(x.liveSlots);
    expect(g.kinds, what).toEqual(x.kinds);
    expect(g.uncompressedBytes, what).toBe(x.liveSlots * t.pageSize);
    if (x.swap) {
      expect(g.swap, what).toMatchObject({ fileIndex: x.swap.fileIndex, offset: x.swap.offset, path: x.swap.path });
      expect(BigInt(g.swap!.handle)).toBe((BigInt(x.swap.fileIndex) << 33n) | BigInt(x.swap.offset));
      expect(g.buffer, what).toBeNull();
    } else expect(g.swap, what).toBeNull();
    if (x.bufferVa !== null) expect(g.buffer, what).toBe('0x' + x.bufferVa.toString(16));
  });
  // a live segment sits above c_segment_count
  expect(Math.max(...res.segments.map((g) => g.index))).toBeGreaterThanOrEqual(s.segmentCount);

  // single-value table and cross-checks
  expect(s.singleValue).toEqual(t.sv);
  expect(s.consistency.ok).toBe(true);
  expect(s.consistency.checks.every((c) => c.ok)).toBe(true);
  // the only problems are the planted ones: one wrong c_mysegno entry, one missing buffer page
  expect(s.problems).toHaveLength(2);
  expect(s.problems[0]).toMatch(/^c_segments\[\d+\] → 0x[0-9a-f]+: c_mysegno is \d+, not \d+; not a segment$/);
  expect(s.problems[1]).toMatch(/^segment \d+: buffer page 0x[0-9a-f]+ \(offset 0x[0-9a-f]+\) is not present in the image/);
}

function checkNamedCases(b: BuiltScenario, res: WalkResult): void {
  const t = b.truth;
  const rec = (name: string) => {
    const x = t.byName[name]!;
    expect(x, name).toBeDefined();
    return res.slots.find((r) => r.segment === x.segment && r.slot === x.slot)!;
  };
  // the first slot of a segment is at offset 0 and is decoded
  const first = rec('offset0-text');
  expect(first.offset).toBe(0);
  expect(first.slot).toBe(0);
  expect(first.sha256).toBeDefined();
  // the last slot ends exactly at c_nextoffset and is decoded
  const last = rec('last-at-nextoffset');
  const seg = res.segments.find((g) => g.index === last.segment)!;
  expect(last.offset + ((last.compressedSize + 3) & ~3)).toBe(seg.nextOffset);
  expect(last.kind).toBe('wkdm');
  // freed slots leave gaps in the slot numbers, not records
  const freed = t.byName['freed-a'];
  expect(freed).toBeUndefined();
  expect(res.slots.filter((r) => r.segment === first.segment).map((r) => r.slot)).not.toContain(2);
  // the kinds this family must show
  const kinds = new Set(res.slots.map((r) => r.kind));
  for (const k of ['wkdm', 'raw', 'corrupt', 'swapped', 'encrypted?'] as const) expect(kinds.has(k), k).toBe(true);
  if (t.family !== 'F1') {
    expect(rec('single-deadbeef').kind).toBe('single');
    expect(rec('single-deadbeef').value).toBe('0xdeadbeef');
    expect(rec('mzv-sparse').kind).toBe('mzv');
    expect(res.slots.some((r) => r.state === 'C_ON_BAD_Q' && r.kind === 'corrupt' && /C_ON_BAD_Q/.test(r.error!))).toBe(true);
  } else {
    expect(rec('wkdm-zero-page').kind).toBe('wkdm');
    expect(rec('compacted-resident-heap').kind).toBe('wkdm');
    expect(rec('compacted-resident-heap').state).toBe('C_ON_SWAPPEDOUT_Q');
  }
  if (t.arch === 'arm64') {
    expect(rec('lz4-repeating').kind).toBe('lz4');
    expect(rec('lz4-forced-text').kind).toBe('lz4');
    expect(rec('corrupt-lz4-offset').kind).toBe('corrupt');
    expect(rec('corrupt-lz4-offset').error).toMatch(/^segment \d+ slot \d+ at buffer offset 0x[0-9a-f]+: lz4: /);
  }
  if (Number(t.family.slice(1)) >= 4) expect(rec('swapio-heap')).toMatchObject({ kind: 'encrypted?', state: 'C_ON_SWAPIO_Q' });
  expect(rec('busy-swapping-text').kind).toBe('encrypted?');
  expect(rec('swapped-text')).toMatchObject({ kind: 'swapped' });
  expect(rec('sparse-pointers')).toMatchObject({ kind: 'swapped', state: 'C_ON_SWAPPEDOUTSPARSE_Q' });
  expect(rec('corrupt-wkdm-header').error).toMatch(/^segment \d+ slot \d+ at buffer offset 0x[0-9a-f]+: wkdm: /);
  // slots past the fixed array come from the variable array (F1: from c_slots[1], [2])
  const many = Object.values(t.byName).filter((x) => x.name.startsWith('many-'));
  const maxSlot = Math.max(...many.map((x) => x.slot));
  expect(maxSlot).toBeGreaterThan(t.family === 'F1' ? 128 : geometry(t.family, t.arch, b.def.xnu).fixed + 10);
  expect(rec(many.find((x) => x.slot === maxSlot)!.name).sha256).toBe(many.find((x) => x.slot === maxSlot)!.sha256);
  // the missing page: slots before it decode, slots from it on are corrupt and name the address
  const miss = Object.values(t.byName).filter((x) => x.name.startsWith('missing-page-'));
  expect(miss.some((x) => x.kind !== 'corrupt')).toBe(true);
  expect(miss.some((x) => x.kind === 'corrupt')).toBe(true);
}

describe.each(SCENARIO_NAMES)('compressor walk, scenario %s', (name) => {
  it('through the ISF types (bitfields at their containing byte)', () => {
    const b = buildScenario(name);
    const res = walk(b);
    checkAgainstTruth(b, res, 'isf');
    checkNamedCases(b, res);
  });

  it('through the built-in layout (no compressor types in the ISF)', () => {
    const b = buildScenario(name, { isfTypes: false });
    expect(b.image.isf.user_types['c_segment']).toBeUndefined();
    const res = walk(b);
    checkAgainstTruth(b, res, 'built-in');
    expect(res.summary.familyReason).toContain(`built-in layout ${b.truth.family}`);
  });
});

describe('compressor walk: ISF details', () => {
  it('an ISF without the c_store union, sv entry, swapfile and queue types still walks from its c_segment/c_slot', () => {
    const omit = ['c_store', 'c_sv_hash_entry', 'c_sv_he_un', 'c_sv_he', 'swapfile', 'queue_entry'];
    const b = buildScenario('F4-x86_64', { isfOmit: omit });
    for (const n of omit) expect(b.image.isf.user_types[n]).toBeUndefined();
    expect(b.image.isf.user_types['c_segment']).toBeDefined();
    checkAgainstTruth(b, walk(b), 'isf');
  });

  it('bitfields at their declared word (the other form dwarf2json uses) read the same', () => {
    const b = buildScenario('F2-x86_64', { bitfieldForm: 'word' });
    const st = b.image.isf.user_types['c_segment']!.fields['c_state']!;
    expect(st.offset).toBe(0x40);
    checkAgainstTruth(b, walk(b), 'isf');
    const byte = buildScenario('F2-x86_64');
    expect(byte.image.isf.user_types['c_segment']!.fields['c_state']).toMatchObject({ offset: 0x42, type: { bit_position: 7 } });
  });
});

describe('compressor walk: decoded bytes', () => {
  it('hands every decoded page to onPage with exactly the source bytes', () => {
    const b = buildScenario('F9-arm64', { bitfieldForm: 'word' });
    const o = b.open();
    const seen = new Map<string, Uint8Array>();
    walkCompressor(o.space, o.symbols, o.version, {
      slide: o.slide,
      onPage: (rec, page) => {
        if (page) seen.set(`${rec.segment}/${rec.slot}`, page.slice());
      },
    });
    let compared = 0;
    for (const x of b.truth.slots) {
      if (!x.sha256) continue;
      const got = seen.get(`${x.segment}/${x.slot}`);
      expect(got, x.name).toBeDefined();
      expect(Buffer.from(got!).equals(Buffer.from(x.page!)), x.name).toBe(true);
      compared++;
    }
    expect(compared).toBe(b.truth.slots.filter((x) => x.sha256).length);
    expect(compared).toBeGreaterThan(20);
  });
});
