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

export interface ExportRequest {
  /** the folder to create */
  out: string;
  layout: ExportLayout;
  /** replace an existing non-empty folder */
  overwrite: boolean;
  /** written into the manifest as `case` */
  caseFields?: CaseFields;
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
