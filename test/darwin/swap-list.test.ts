// The kernel's swap-file list (swf_global_queue) read through the bounded queue walk: names for every
// file on an intact queue, and on a damaged one the files read before the damage plus a problem line
// naming where the queue broke (it used to stop quietly, or loop until a guard).
import { describe, expect, it } from 'vitest';
import { planCompressor } from '../../core/darwin/compressor';
import { KernelContext } from '../../core/darwin/kernel';
import { readSwapFiles } from '../../core/darwin/swap-list';
import type { SparseMemoryImpl } from '../../core/synth/memory';
import { buildScenario, type BuiltScenario } from '../../core/synth/scenarios';

const hex = (v: bigint) => '0x' + v.toString(16);

/** overwrite a u64 at a kernel VA of a finished image (through its own page tables) */
function poke(b: BuiltScenario, va: bigint, v: bigint): void {
  const phys = b.open().space.translate(va);
  const mem = b.image.memory as SparseMemoryImpl;
  const c = mem.chunks.find((x) => phys >= x.start && phys + 8 <= x.start + x.data.length)!;
  new DataView(c.data.buffer, c.data.byteOffset).setBigUint64(phys - c.start, v, true);
}

function contextOf(b: BuiltScenario): KernelContext {
  const o = b.open();
  return new KernelContext({ space: o.space, symbols: o.symbols, slide: o.slide, version: o.version });
}

describe('swap files from swf_global_queue', () => {
  it('an intact queue names every file, in queue order', () => {
    const b = buildScenario('F4-x86_64');
    const r = readSwapFiles(contextOf(b));
    expect(r.problems).toEqual([]);
    expect(r.files.length).toBeGreaterThanOrEqual(2);
    const o = b.open();
    const plan = planCompressor(o.space, o.symbols, o.version, { slide: o.slide });
    expect(plan.header.swapFiles).toEqual(r.files);
    for (const s of plan.segments) if (s.summary.swap) expect(r.files.some((f) => f.index === s.summary.swap!.fileIndex && f.path === s.summary.swap!.path)).toBe(true);
  });

  it('a queue looping back to its first file keeps the files and reports the cycle', () => {
    const b = buildScenario('F4-x86_64');
    const ctx = contextOf(b);
    const head = ctx.global('swf_global_queue');
    const first = ctx.readPointer(head);
    const intact = readSwapFiles(ctx).files;
    // the last file links back to the first instead of the head
    const last = ctx.readPointer(head + 8n);
    poke(b, last, first);
    const r = readSwapFiles(contextOf(b));
    expect(r.files).toEqual(intact);
    expect(r.problems).toEqual([`queue swapfile.swp_queue at ${hex(head)}: element ${hex(first)} reached a second time after ${intact.length} element(s)`]);
  });

  it('a link into nowhere keeps the files before it and names the address', () => {
    const b = buildScenario('F4-x86_64');
    const ctx = contextOf(b);
    const head = ctx.global('swf_global_queue');
    const first = ctx.readPointer(head);
    const intact = readSwapFiles(ctx).files;
    poke(b, first, 0xffff_ff80_7fff_0000n); // heap VA the image never mapped
    const r = readSwapFiles(contextOf(b));
    expect(r.files).toEqual(intact.slice(0, 1));
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(new RegExp(`^queue swapfile\\.swp_queue at ${hex(head)}: swapfile at 0xffffff807fff0000 is not readable \\(virtual address 0xffffff807fff0000 `));
  });
});
