// Exports of decompressed pages that an examiner can hand on: one file per slot (Rekall's
// `segment<N>/slot<M>.dmp`) or all pages back to back in `pages.bin` for strings / bulk_extractor / YARA,
// with an index (file offset or file → segment, slot, kind, state, SHA-256) and `manifest.json` (tool,
// times, source image and its SHA-256, symbols, counts, and the SHA-256 of every file written).
//
// The whole export is built in a staging folder and renamed into place at the end (core/export/atomic.ts):
// a failure or a cancel leaves nothing under the final name. Pages are hashed as they are written.
//
// Pages are not contiguous memory: in `pages.bin`, neighbouring pages are unrelated, and a match that a
// tool finds across a page boundary (see the index for where they are) is not real.

import path from 'node:path';
import { createHash } from 'node:crypto';
import { ExportError } from '../errors';
import type { SlotKind, SlotRecord } from '../darwin/types';
import { guardEvidence } from './guard';
import { AtomicDir, flushFiles, HashingWriter, nodeFs, writeFailed, writeNewFile, type ExportFs } from './atomic';

import type { CaseFields, ExportedFile, ExportLayout, ExportResult, ExportSelection, SlotPair } from './types';

export type { ExportedFile, ExportLayout, ExportResult, ExportSelection, SlotPair } from './types';

export interface ExportMeta {
  imagePath: string;
  imageSha256: string;
  toolVersion: string;
  /** the symbol table used (path or name) */
  symbols: string;
  /** SHA-256 of the symbol table file; null when it is not a file (built in, or unreadable) */
  symbolsSha256?: string | null;
  /** the examiner's case number, name and notes */
  caseFields?: CaseFields;
  kernel?: Record<string, unknown>;
  compressor?: Record<string, unknown>;
  sv?: unknown[];
  /** swap files read besides the image, with their SHA-256 */
  swapFiles?: Array<{ path: string; index: number; sha256: string; segments: number }>;
  /** live slots the walk found; when given, `complete` compares against it (else against slots received) */
  liveSlots?: number;
  /** every file the evidence is made of (container companions, segments), none of which an export may touch */
  evidenceFiles?: string[];
  /** what the walk could not read or found wrong (the case's problems), listed in the manifest */
  caseProblems?: string[];
}

export interface ExportProgress {
  phase: 'export';
  done: number;
  total: number;
  message?: string;
}

export interface ExportOptions {
  out: string;
  layout: ExportLayout;
  overwrite?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: ExportProgress) => void;
  meta: ExportMeta;
  /** live slots the walk found (same as meta.liveSlots; either may be given) */
  liveSlots?: number;
  /** fsync every file and folder (default true) */
  durable?: boolean;
  /**
   * Hash each page again and compare it with its record's SHA-256 (default true). A caller whose
   * records were hashed over these very bytes by the thread that decoded them may turn it off.
   */
  verifyPageHashes?: boolean;
  /**
   * Export only these slots: pages of other slots are passed over (neither exported nor skipped), the
   * counts are of the selection (liveSlots should then be the number of slots selected), and the manifest
   * carries the selection. Absent: every slot received, and the manifest has no `selection`.
   */
  selection?: ExportSelection;
  /** for tests: file system calls and clock */
  fs?: ExportFs;
  now?: () => Date;
}


export interface SlotRef {
  segment: number;
  slot: number;
  kind: SlotKind;
  error?: string;
}


export interface ManifestJson {
  tool: { name: string; version: string };
  created: string;
  finished: string;
  source: { image: string; sha256: string; swapFiles?: Array<{ path: string; index: number; sha256: string; segments: number }> };
  symbols: string;
  symbolsSha256?: string | null;
  case?: CaseFields;
  kernel?: Record<string, unknown>;
  compressor?: Record<string, unknown>;
  sv?: unknown[];
  layout: ExportLayout;
  /** present only when the export holds a selection of slots rather than every live slot */
  selection?: ExportSelection;
  counts: {
    liveSlots: number;
    slotsReceived: number;
    exported: number;
    skipped: Record<string, number>;
    corrupt: number;
    accountedFor: number;
    complete: boolean;
  };
  skipped: Record<string, SlotRef[]>;
  corrupt: SlotRef[];
  files: ExportedFile[];
  /** problems met while writing this export */
  problems: string[];
  /** problems of the case the pages came from (unreadable table entries, segments, buffer pages) */
  caseProblems: string[];
}

const SKIP_KINDS = new Set<SlotKind>(['swapped', 'encrypted?', 'corrupt']);
/** slot files written at once: enough to keep the disk busy while the next pages are decoded */
const WINDOW = 8;
const PROGRESS_EVERY = 64;

/** a selection's slots, each once, sorted by segment then slot */
export function normalizeSelection(sel: ExportSelection): ExportSelection {
  const seen = new Map<string, SlotPair>();
  for (const p of sel.slots) seen.set(`${p.segment}:${p.slot}`, { segment: p.segment, slot: p.slot });
  const slots = [...seen.values()].sort((a, b) => a.segment - b.segment || a.slot - b.slot);
  return { ...(sel.label ? { label: sel.label } : {}), slots };
}

const csvField = (v: string | number): string => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export async function exportPages(items: AsyncIterable<{ record: SlotRecord; page: Uint8Array | null }>, options: ExportOptions): Promise<ExportResult> {
  const fs = options.fs ?? nodeFs;
  const durable = options.durable !== false;
  const verify = options.verifyPageHashes !== false;
  const now = options.now ?? (() => new Date());
  const { meta, layout, signal } = options;
  const selection = options.selection ? normalizeSelection(options.selection) : null;
  const wanted = selection ? new Set(selection.slots.map((p) => `${p.segment}:${p.slot}`)) : null;
  if (layout !== 'slots' && layout !== 'concat') throw new ExportError('WRITE_FAILED', `unknown export layout "${String(layout)}" (slots or concat)`);
  const out = path.resolve(options.out);
  guardEvidence(out, [meta.imagePath, ...(meta.evidenceFiles ?? [])]);
  const created = now().toISOString();
  const cancelled = (): ExportError => new ExportError('CANCELLED', `export cancelled; nothing was written under ${out}`, { file: out });
  if (signal?.aborted) throw cancelled();

  const dir = await AtomicDir.create(out, { overwrite: options.overwrite, fs, durable });
  const files: ExportedFile[] = [];
  const slotFiles: (ExportedFile | undefined)[] = [];
  const pending = new Set<Promise<void>>();
  let failure: unknown = null;
  const skipped: Record<string, SlotRef[]> = {};
  const corrupt: SlotRef[] = [];
  const problems: string[] = [];
  let exported = 0;
  let received = 0;
  const expected = options.liveSlots ?? meta.liveSlots;
  const total = expected ?? 0;
  const progress = (): void => options.onProgress?.({ phase: 'export', done: received, total });

  const csvHeader = layout === 'concat' ? 'offset,length,segment,slot,kind,state,sha256\n' : 'file,length,segment,slot,kind,state,sha256\n';
  let pagesBin: HashingWriter | null = null;
  let indexCsv: HashingWriter | null = null;
  let indexJson: HashingWriter | null = null;
  let jsonFirst = true;
  const segmentsMade = new Set<number>();

  try {
    pagesBin = layout === 'concat' ? await HashingWriter.create(fs, dir.file('pages.bin'), path.join(out, 'pages.bin'), durable) : null;
    indexCsv = await HashingWriter.create(fs, dir.file('index.csv'), path.join(out, 'index.csv'), durable);
    indexJson = await HashingWriter.create(fs, dir.file('index.json'), path.join(out, 'index.json'), durable);
    await indexCsv.write(csvHeader);
    await indexJson.write('[');

    for await (const { record, page } of items) {
      if (signal?.aborted) throw cancelled();
      if (failure) throw failure;
      if (wanted && !wanted.has(`${record.segment}:${record.slot}`)) continue;
      received++;
      const ref: SlotRef = { segment: record.segment, slot: record.slot, kind: record.kind };
      if (record.error !== undefined) ref.error = record.error;
      if (record.kind === 'corrupt') corrupt.push(ref);
      if (page === null) {
        const reason = SKIP_KINDS.has(record.kind) ? record.kind : 'unreadable';
        (skipped[reason] ??= []).push(ref);
      } else {
        const sha256 = !verify && record.sha256 !== undefined ? record.sha256 : createHash('sha256').update(page).digest('hex');
        if (record.sha256 !== undefined && record.sha256 !== sha256) {
          problems.push(`segment ${record.segment} slot ${record.slot}: the walk reported SHA-256 ${record.sha256}, the exported page has ${sha256}`);
        }
        if (record.error !== undefined) problems.push(`segment ${record.segment} slot ${record.slot}: ${record.error}`);
        let where: string | number;
        if (pagesBin) {
          where = pagesBin.bytes;
          await pagesBin.write(page);
        } else {
          if (!segmentsMade.has(record.segment)) {
            const d = dir.file(`segment${record.segment}`);
            try {
              await fs.mkdir(d, { recursive: true });
            } catch (e) {
              throw writeFailed(path.join(out, `segment${record.segment}`), e, 'create the folder');
            }
            segmentsMade.add(record.segment);
          }
          const rel = `segment${record.segment}/slot${record.slot}.dmp`;
          where = rel;
          // The producer may reuse its page buffer once we move on; the write gets its own copy.
          const copy = Uint8Array.from(page);
          const at = slotFiles.length;
          slotFiles.push(undefined);
          // not fsynced one by one: flushFiles() makes them all durable before the folder is renamed
          const job: Promise<void> = writeNewFile(fs, dir.file(rel), path.join(out, rel), copy, false).then(
            (r) => {
              slotFiles[at] = { path: rel, bytes: r.bytes, sha256: r.sha256 };
              pending.delete(job);
            },
            (e) => {
              failure ??= e;
              pending.delete(job);
            },
          );
          pending.add(job);
          if (pending.size >= WINDOW) await Promise.race(pending);
        }
        exported++;
        const row = { [layout === 'concat' ? 'offset' : 'file']: where, length: page.length, segment: record.segment, slot: record.slot, kind: record.kind, state: record.state, sha256,
          ...(record.source ? { source: record.source } : {}),
          ...(record.swapFile ? { swapFile: record.swapFile, swapOffset: record.swapOffset } : {}),
        };
        await indexCsv.write(`${csvField(where)},${page.length},${record.segment},${record.slot},${csvField(record.kind)},${csvField(record.state)},${sha256}\n`);
        await indexJson.write((jsonFirst ? '\n' : ',\n') + JSON.stringify(row));
        jsonFirst = false;
      }
      if (received % PROGRESS_EVERY === 0) progress();
    }
    await Promise.all(pending);
    if (failure) throw failure;
    if (signal?.aborted) throw cancelled();
    await indexJson.write(jsonFirst ? ']\n' : '\n]\n');

    for (const f of slotFiles) if (f) files.push(f);
    if (durable && slotFiles.length > 0) await flushFiles(fs, dir.file('.'), files.map((f) => dir.file(f.path)));
    if (pagesBin) files.push({ path: 'pages.bin', ...(await pagesBin.finish()) });
    files.push({ path: 'index.csv', ...(await indexCsv.finish()) });
    files.push({ path: 'index.json', ...(await indexJson.finish()) });
    progress();

    const skippedCounts: Record<string, number> = {};
    let skippedTotal = 0;
    for (const [reason, list] of Object.entries(skipped)) {
      skippedCounts[reason] = list.length;
      skippedTotal += list.length;
    }
    const accountedFor = exported + skippedTotal;
    const liveSlots = expected ?? received;
    const complete = accountedFor === liveSlots;
    if (!complete) problems.push(`${liveSlots} live slots, ${accountedFor} exported or accounted for`);
    const manifest: ManifestJson = {
      tool: { name: 'unfold', version: meta.toolVersion },
      created,
      finished: now().toISOString(),
      source: {
        image: path.resolve(meta.imagePath),
        sha256: meta.imageSha256,
        ...(meta.swapFiles && meta.swapFiles.length > 0 ? { swapFiles: meta.swapFiles.map((f) => ({ ...f, path: path.resolve(f.path) })) } : {}),
      },
      symbols: meta.symbols,
      ...(meta.symbolsSha256 !== undefined ? { symbolsSha256: meta.symbolsSha256 } : {}),
      ...(meta.caseFields !== undefined && Object.keys(meta.caseFields).length > 0 ? { case: meta.caseFields } : {}),
      ...(meta.kernel !== undefined ? { kernel: meta.kernel } : {}),
      ...(meta.compressor !== undefined ? { compressor: meta.compressor } : {}),
      ...(meta.sv !== undefined ? { sv: meta.sv } : {}),
      layout,
      ...(selection ? { selection } : {}),
      counts: { liveSlots, slotsReceived: received, exported, skipped: skippedCounts, corrupt: corrupt.length, accountedFor, complete },
      skipped,
      corrupt,
      files,
      problems,
      caseProblems: meta.caseProblems ?? [],
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8');
    const m = await writeNewFile(fs, dir.file('manifest.json'), path.join(out, 'manifest.json'), manifestBytes, durable);
    if (signal?.aborted) throw cancelled();
    await dir.commit();
    return { out, manifestSha256: m.sha256, exported, skipped: skippedCounts, corrupt: corrupt.length, files, liveSlots, accountedFor, complete };
  } catch (e) {
    await Promise.allSettled(pending);
    await Promise.allSettled([pagesBin?.discard(), indexCsv?.discard(), indexJson?.discard()]);
    throw await dir.fail(e);
  }
}
