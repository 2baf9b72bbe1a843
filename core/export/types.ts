// What an export is asked and what it answers: plain data, shared by the façade, the CLI and the app.

export type ExportLayout = 'slots' | 'concat';

/** what the examiner writes into the manifest about the case (each optional, plain text) */
export interface CaseFields {
  caseNumber?: string;
  examiner?: string;
  notes?: string;
}

/** the longest text accepted per case field (notes may be a paragraph; the others are one line) */
export const CASE_FIELD_LIMITS = { caseNumber: 200, examiner: 200, notes: 4000 } as const;

/** one slot of the case, as a selection names it */
export interface SlotPair {
  segment: number;
  slot: number;
}

/** the most slots one selection may name (a search's hits, deduplicated by page, stay well below) */
export const EXPORT_SELECTION_MAX = 1_000_000;
/** the longest label a selection may carry */
export const EXPORT_LABEL_MAX = 200;

/** which slots an export holds when it does not hold every live slot; written into the manifest */
export interface ExportSelection {
  /** what the examiner picked, in words ("slot 3 of segment 12", "pages of the hits of a search for …") */
  label?: string;
  /** the slots asked for, each once, sorted by segment then slot */
  slots: SlotPair[];
}

export interface ExportRequest {
  /** the folder to create */
  out: string;
  layout: ExportLayout;
  /** replace an existing non-empty folder */
  overwrite: boolean;
  /** written into the manifest as `case` */
  caseFields?: CaseFields;
  /** export only these slots (every one must be a live slot of the case); absent: every live slot */
  selection?: ExportSelection;
}

export interface ExportedFile {
  /** relative to the export folder, '/' separated */
  path: string;
  bytes: number;
  sha256: string;
}

export interface ExportResult {
  out: string;
  manifestSha256: string;
  exported: number;
  /** slots not exported, by reason (swapped, encrypted?, corrupt, unreadable) */
  skipped: Record<string, number>;
  /** slots whose kind is corrupt (exported or skipped) */
  corrupt: number;
  /** every file written except manifest.json, in write order */
  files: ExportedFile[];
  /** live slots of the walk (options.liveSlots / meta.liveSlots) or, when not given, slots received */
  liveSlots: number;
  /** exported + skipped */
  accountedFor: number;
  /** accountedFor === liveSlots: every live slot was exported or is listed in the manifest */
  complete: boolean;
}

/** an export's result without the per-file list (that list is in manifest.json), and how long it took */
export type ExportSummary = Omit<ExportResult, 'files'> & { files: number; seconds: number };

export function summarizeExport(r: ExportResult, seconds: number): ExportSummary {
  return { ...r, skipped: { ...r.skipped }, files: r.files.length, seconds };
}
