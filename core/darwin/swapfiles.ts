// Swap files given by the examiner (files or folders, copied from the Mac's /private/var/vm or
// /System/Volumes/VM) matched by name to the kernel's own swap-file list (swf_global_queue →
// swp_path), opened read-only. Nothing here is fatal: every file that is missing, unrelated,
// duplicated or short becomes a named problem, and the rest is used.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface MatchedSwapFile {
  /** the kernel's swp_index (the index in swap handles) */
  index: number;
  /** the path the kernel names it by */
  kernelPath: string;
  /** the file given */
  path: string;
  size: number;
}

export interface SwapFileMatch {
  files: MatchedSwapFile[];
  problems: string[];
}

const baseOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);

function listInputs(inputs: readonly string[], problems: string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    let st;
    try {
      st = statSync(p);
    } catch {
      problems.push(`swap file ${p} does not exist`);
      continue;
    }
    if (st.isDirectory()) {
      const names = readdirSync(p, { withFileTypes: true }).filter((d) => d.isFile() || d.isSymbolicLink());
      if (names.length === 0) problems.push(`swap folder ${p} holds no files`);
      for (const d of names.sort((a, b) => (a.name < b.name ? -1 : 1))) out.push(join(p, d.name));
    } else if (st.isFile()) out.push(p);
    else problems.push(`swap file ${p} is not a regular file`);
  }
  return out;
}

/**
 * Match the given files and folders to the kernel's swap files by name. `needed` counts, per swap
 * file index, the swapped-out segments that point at it (so a file the image needs and that was not
 * given is named, with how much stays unread).
 */
export function matchSwapFiles(
  inputs: readonly string[],
  kernelFiles: ReadonlyArray<{ index: number; path: string }>,
  needed: ReadonlyMap<number, number>,
): SwapFileMatch {
  const problems: string[] = [];
  const files: MatchedSwapFile[] = [];
  const byName = new Map(kernelFiles.map((f) => [baseOf(f.path), f]));
  const known = [...byName.keys()].join(', ') || 'none';
  const unrelated: string[] = [];
  for (const p of listInputs(inputs, problems)) {
    const k = byName.get(basename(p));
    if (!k) {
      unrelated.push(p);
      continue;
    }
    const dup = files.find((f) => f.index === k.index);
    if (dup) {
      problems.push(`two files are named ${basename(p)} (${dup.path} and ${p}): using ${dup.path}`);
      continue;
    }
    let size: number;
    try {
      const fd = openSync(p, 'r');
      try {
        size = fstatSync(fd).size;
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      problems.push(`swap file ${p} cannot be opened: ${(err as Error).message}`);
      continue;
    }
    files.push({ index: k.index, kernelPath: k.path, path: p, size });
  }
  if (unrelated.length > 0) {
    const shown = unrelated.slice(0, 8).join(', ') + (unrelated.length > 8 ? ` and ${unrelated.length - 8} more` : '');
    problems.push(`${unrelated.length} file(s) given as swap files are not among the swap files this kernel lists (${known}), ignored: ${shown}`);
  }
  for (const [index, count] of [...needed.entries()].sort((a, b) => a[0] - b[0])) {
    if (files.some((f) => f.index === index)) continue;
    const k = kernelFiles.find((f) => f.index === index);
    problems.push(
      k
        ? `swap file ${k.path} (index ${index}) was not given: ${count} swapped-out segment(s) in it stay unread`
        : `${count} swapped-out segment(s) point at swap file index ${index}, which is not on the kernel's swap-file list: they stay unread`,
    );
  }
  files.sort((a, b) => a.index - b.index);
  return { files, problems };
}

/** SHA-256 (hex) of a whole file, streamed */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    const s = createReadStream(path, { flags: 'r', highWaterMark: 1 << 20 });
    s.on('data', (d) => {
      if (signal?.aborted) s.destroy(new Error('cancelled'));
      h.update(d);
    });
    s.on('end', () => resolve());
    s.on('error', reject);
  });
  return h.digest('hex');
}

// one read-only descriptor per swap file per thread (workers read chunks of the same few files)
const fds = new Map<string, number>();
function fdFor(path: string): number {
  let fd = fds.get(path);
  if (fd === undefined) {
    if (fds.size >= 16) {
      for (const f of fds.values()) closeSync(f);
      fds.clear();
    }
    fd = openSync(path, 'r');
    fds.set(path, fd);
  }
  return fd;
}

/**
 * Read `into.length` bytes at `offset` of a swap file. Returns null when all of it was read, or
 * why not (a file shorter than the chunk: truncated, or not the file the kernel wrote).
 */
export function readSwapChunk(path: string, offset: number, into: Uint8Array): string | null {
  const fd = fdFor(path);
  const size = fstatSync(fd).size;
  const hx = (v: number) => '0x' + v.toString(16);
  if (offset >= size) return `swap file ${path} is ${hx(size)} bytes, shorter than the chunk offset ${hx(offset)}`;
  let got = 0;
  while (got < into.length) {
    const n = readSync(fd, into, got, into.length - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  if (got < into.length) {
    return `swap file ${path} ends at ${hx(size)}, inside the ${hx(into.length)}-byte chunk at ${hx(offset)} (a truncated copy?)`;
  }
  return null;
}
