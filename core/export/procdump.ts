// A process's memory as files, the way Volatility 3 names its dumps: one file per region
// `pid.<pid>.vma.<start>-<end>.dmp` (0x-prefixed lowercase hex, end exclusive) with every page where it
// lives — resident pages from the image, compressed ones decompressed, single-value pages rebuilt,
// swapped ones from their swap file when the case has it — and pages whose bytes could not be had
// (absent, swapped without its file, undecodable) zero-filled. The
// manifest lists every page's state and source and every file's SHA-256. Built in a staging folder and
// renamed into place (AtomicDir): never half-written, never over an existing folder unless asked, and
// then only over an earlier Unfold export; never into the evidence.
import path from 'node:path';
import { AtomicDir, HashingWriter, nodeFs, writeNewFile } from './atomic';
import { guardEvidence } from './guard';
import { ExportError } from '../errors';
import type { PageSource, ProcessView, ReadVirtualResult } from '../process-view';
import { VERSION } from '../version';

export interface ProcDumpRequest {
  pid: number;
  out: string;
  overwrite?: boolean;
  /** the evidence files (never written into) */
  evidence: readonly string[];
  imagePath: string;
  imageSha256?: string;
  signal?: AbortSignal;
  onProgress?: (p: { phase: 'export'; done: number; total: number }) => void;
}

export interface ProcDumpFile {
  path: string;
  start: string;
  end: string;
  protection: string;
  bytes: number;
  sha256: string;
  pages: PageSource[];
}

export interface ProcDumpResult {
  out: string;
  pid: number;
  name: string;
  files: Array<Omit<ProcDumpFile, 'pages'>>;
  manifestSha256: string;
  /** pages by state over all regions */
  pages: Record<string, number>;
  /** pages written as zeros because their bytes are not in the image */
  zeroFilled: number;
}

/** Volatility 3's dump name: pid.<pid>.vma.<start:#x>-<end:#x>.dmp */
export function dumpFileName(pid: number, start: bigint, end: bigint): string {
  return `pid.${pid}.vma.0x${start.toString(16)}-0x${end.toString(16)}.dmp`;
}

/** pages read per step (bounded memory for huge regions) */
const STEP_PAGES = 256;

export async function dumpProcess(view: ProcessView, read: (pid: number, va: bigint, length: number) => ReadVirtualResult, req: ProcDumpRequest): Promise<ProcDumpResult> {
  const out = path.resolve(req.out);
  guardEvidence(out, req.evidence);
  const p = view.process(req.pid);
  const dir = await AtomicDir.create(out, { overwrite: req.overwrite });
  const files: ProcDumpFile[] = [];
  const counts: Record<string, number> = { resident: 0, compressed: 0, single: 0, swapped: 0, absent: 0 };
  let zeroFilled = 0;
  const total = p.regions.reduce((n, r) => n + r.pages.state.length, 0);
  let done = 0;
  try {
    for (const r of p.regions) {
      const name = dumpFileName(p.pid, r.start, r.end);
      const w = await HashingWriter.create(nodeFs, dir.file(name), path.join(out, name));
      const pages: PageSource[] = [];
      try {
        const step = BigInt(STEP_PAGES * r.pageSize);
        for (let va = r.start; va < r.end; va += step) {
          if (req.signal?.aborted) throw new ExportError('CANCELLED', `process dump cancelled; nothing was written under ${out}`, { file: out });
          const n = Number(r.end - va < step ? r.end - va : step);
          const got = read(p.pid, va, n);
          await w.write(got.bytes);
          for (const s of got.pages) {
            pages.push(s);
            counts[s.state] = (counts[s.state] ?? 0) + 1;
          }
          zeroFilled += got.missing.length;
          done += got.pages.length;
          req.onProgress?.({ phase: 'export', done, total });
        }
        const f = await w.finish();
        files.push({ path: name, start: '0x' + r.start.toString(16), end: '0x' + r.end.toString(16), protection: r.protection, bytes: f.bytes, sha256: f.sha256, pages });
      } catch (e) {
        await w.discard();
        throw e;
      }
    }
    const manifest = {
      tool: { name: 'unfold', version: VERSION },
      kind: 'process-dump',
      created: new Date().toISOString(),
      image: { path: req.imagePath, ...(req.imageSha256 ? { sha256: req.imageSha256 } : {}) },
      process: { pid: p.pid, ppid: p.ppid, name: p.name, pName: p.pName, proc: '0x' + p.proc.toString(16), task: '0x' + p.task.toString(16), map: '0x' + p.map.toString(16) },
      pages: counts,
      zeroFilled,
      note: "pages whose bytes could not be had (absent; swapped without its swap file; undecodable) are zero-filled in the .dmp files; each page lists its state and where it lives, and a page served from a sealed segment its source ('swap' with swapFile and swapOffset, or 'decrypted')",
      files: files.map((f) => ({ path: f.path, start: f.start, end: f.end, protection: f.protection, bytes: f.bytes, sha256: f.sha256, pages: f.pages })),
    };
    const m = await writeNewFile(nodeFs, dir.file('manifest.json'), path.join(out, 'manifest.json'), Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8'));
    await dir.commit();
    return { out, pid: p.pid, name: p.name, files: files.map(({ pages: _pages, ...f }) => f), manifestSha256: m.sha256, pages: counts, zeroFilled };
  } catch (e) {
    throw await dir.fail(e);
  }
}
