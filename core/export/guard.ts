// What an export may write to, and what it may replace. Two rules protect the evidence and anything
// else the examiner keeps:
//
// 1. The output folder must not be the evidence, hold it, or lie inside it, compared by resolved real
//    paths (symbolic links followed, also for a folder that does not exist yet), so no `..`-named
//    folder, link or relative spelling can make an export touch the evidence's folder chain.
// 2. `--overwrite` replaces only what an earlier Unfold export wrote: a folder whose manifest.json is
//    an Unfold manifest listing every other file in it. Anything else (one stray file, a link, a
//    manifest of another tool) is refused and nothing is deleted.
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ExportError } from '../errors';

/** the real path of `p`, even when it does not exist yet: its deepest existing ancestor resolved, the rest appended */
export function realPathOf(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(realpathSync.native(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** true when `inner` is `outer` or lies inside it (both absolute, normalized) */
function within(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel));
}

/**
 * Refuses (ExportError EXISTS) an output folder that is an evidence file, one of the folders that hold
 * it (its folder chain), or a place inside an evidence path.
 */
export function guardEvidence(out: string, evidence: readonly string[]): void {
  const target = realPathOf(out);
  for (const file of evidence) {
    const ev = realPathOf(file);
    if (within(ev, target)) {
      throw new ExportError('EXISTS', `refusing to export into ${out}: it is or holds the evidence file ${ev}, which is never written or replaced`, { file: out, image: ev });
    }
    if (within(target, ev)) {
      throw new ExportError('EXISTS', `refusing to export into ${out}: it lies inside the evidence path ${ev}`, { file: out, image: ev });
    }
  }
}

/** every file and link under `dir`, relative with '/' separators; folders themselves are not listed */
function listTree(dir: string, rel = '', out: string[] = []): string[] {
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(path.join(dir, r));
    if (st.isDirectory()) listTree(dir, r, out);
    else out.push(r);
  }
  return out;
}

/**
 * Throws ExportError EXISTS unless `dir` (an existing, non-empty folder) is exactly an earlier Unfold
 * export: a manifest.json written by Unfold, and no file or link in the folder that the manifest does
 * not list.
 */
export function assertPreviousExport(dir: string): void {
  const refuse = (why: string): never => {
    throw new ExportError('EXISTS', `${dir} is not an earlier Unfold export (${why}); nothing was written or deleted. --overwrite replaces only a folder an Unfold export wrote`, {
      file: dir,
      reason: why,
    });
  };
  let manifest: { tool?: { name?: unknown }; files?: Array<{ path?: unknown }> };
  try {
    const st = lstatSync(path.join(dir, 'manifest.json'));
    if (!st.isFile()) refuse('manifest.json is not a plain file');
    manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as typeof manifest;
  } catch (e) {
    if (e instanceof ExportError) throw e;
    return refuse('it has no readable Unfold manifest.json');
  }
  if (manifest?.tool?.name !== 'unfold' || !Array.isArray(manifest.files)) refuse('its manifest.json was not written by Unfold');
  const listed = new Set(manifest.files!.map((f) => String(f?.path ?? '')));
  listed.add('manifest.json');
  for (const f of listTree(dir)) {
    if (!listed.has(f)) refuse(`it holds ${f}, which that export did not write`);
    if (!lstatSync(path.join(dir, f)).isFile()) refuse(`${f} is not a plain file`);
  }
}
