// A memory image is a photograph of a running kernel: lists may loop or be half-updated. The process
// walk must end with a problem naming where, keep what it could read, and never hang; an ISF without
// the process types must leave every other command working and say which types are missing.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { KernelContext } from '../../core/darwin/kernel';
import { planCompressor } from '../../core/darwin/compressor';
import { walkProcessMemory } from '../../core/darwin/process-walk';
import { segmentStates } from '../../core/darwin/segment-states';
import { buildScenario, saveSynthImage } from '../../core/synth/scenarios';
import type { SparseMemory } from '../../core/synth/types';

/** overwrite 8 bytes of physical memory in the built image (the chunk arrays are the image) */
function poke64(memory: SparseMemory, phys: number, v: bigint): void {
  const chunks = (memory as unknown as { chunks: Array<{ start: number; data: Uint8Array }> }).chunks;
  const c = chunks.find((x) => phys >= x.start && phys + 8 <= x.start + x.data.length)!;
  new DataView(c.data.buffer, c.data.byteOffset).setBigUint64(phys - c.start, v, true);
}

function setup(name: string) {
  const b = buildScenario(name);
  const o = b.open();
  const ctx = new KernelContext({ space: o.space, symbols: o.symbols, slide: o.slide, version: o.version });
  const plan = planCompressor(o.space, o.symbols, o.version, { slide: o.slide });
  return { b, o, ctx, plan };
}

describe.each([['F5-x86_64'], ['P-13.2-arm64']])('damaged process lists of %s', (name) => {
  it('allproc looping back to an earlier proc ends with a cycle problem and keeps the processes read', () => {
    const { b, o, ctx, plan } = setup(name);
    const procs = [...b.procs!.processes].reverse(); // allproc order: newest first
    // the third proc's le_next points back at the first
    const third = ctx.object('proc', procs[2]!.proc);
    poke64(b.image.memory, o.space.translate(third.addressOf('p_list.le_next')), procs[0]!.proc);
    const w = walkProcessMemory(new KernelContext({ space: o.space, symbols: o.symbols, slide: o.slide, version: o.version }), segmentStates(plan));
    expect(w.problems.some((p) => p.startsWith('allproc:') && /second time|cycle|loop/i.test(p))).toBe(true);
    // the three before the loop, plus kernproc from its own global
    expect(w.processes.map((p) => p.pid).sort((a, c) => a - c)).toEqual([0, ...procs.slice(0, 3).map((p) => p.pid)].sort((a, c) => a - c));
  });

  it('a smeared back-link on allproc is reported; a map entry linking to itself ends that map with a problem', () => {
    const { b, o, ctx, plan } = setup(name);
    const procs = [...b.procs!.processes].reverse();
    const second = ctx.object('proc', procs[1]!.proc);
    poke64(b.image.memory, o.space.translate(second.addressOf('p_list.le_prev')), 0x1234n << 4n);
    const victim = b.procs!.processes.find((p) => p.regions.length >= 2)!;
    const e0 = ctx.object('vm_map_entry', victim.regions[0]!.entry);
    poke64(b.image.memory, o.space.translate(e0.addressOf('links.next')), victim.regions[0]!.entry);
    const w = walkProcessMemory(new KernelContext({ space: o.space, symbols: o.symbols, slide: o.slide, version: o.version }), segmentStates(plan));
    expect(w.problems.some((p) => p.startsWith('allproc:') && p.includes('0x' + (0x1234n << 4n).toString(16)))).toBe(true);
    expect(w.processes.length).toBe(b.procs!.processes.length);
    const got = w.processes.find((p) => p.pid === victim.pid)!;
    expect(got.regions.length).toBe(1);
    expect(w.problems.some((p) => p.startsWith(`pid ${victim.pid}:`))).toBe(true);
  });
});

describe('an ISF without the process types', () => {
  it('info and slots work; procs exits 3 naming the missing types', async () => {
    const b = buildScenario('F5-x86_64');
    delete (b.image.isf.user_types as Record<string, unknown>)['vm_map_entry'];
    delete (b.image.isf.user_types as Record<string, unknown>)['compressor_pager'];
    const dir = mkdtempSync(path.join(tmpdir(), 'unfold-notypes-'));
    try {
      const { imagePath, isfPath } = await saveSynthImage(b.image, dir, 'x');
      const run = (args: string[]) => spawnSync(process.execPath, ['bin/unfold.mjs', ...args, imagePath, '--symbols', isfPath, '--threads', '0'], { encoding: 'utf8' });
      // the family scenarios hold a deliberately absent buffer page: exit 4 for that, and only that
      const info = run(['info', '--json']);
      expect(info.status).toBe(4);
      expect(info.stderr.split('\n').filter((l) => l.startsWith('unfold: consistency:')).map((l) => l.split(':')[2]!.trim())).toEqual(['live slots whose bytes could be read']);
      const j = JSON.parse(info.stdout) as { processes: { available: boolean; reason: string } };
      expect(j.processes.available).toBe(false);
      expect(j.processes.reason).toContain('vm_map_entry, compressor_pager');
      const slots = run(['slots', '--json']);
      expect(slots.status).toBe(4);
      const recs = slots.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { owners?: unknown[] });
      expect(recs.length).toBeGreaterThan(0);
      // owners unknown (no process walk): no `owners` key, never an empty list that would claim "unowned"
      for (const r of recs) expect('owners' in r).toBe(false);
      const procs = run(['procs', '--json']);
      expect(procs.status).toBe(3);
      expect(procs.stderr).toContain('lacks the process and VM types vm_map_entry, compressor_pager');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
