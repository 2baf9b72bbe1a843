// Which compressor layout family (F1–F9, docs/compressor.md §1) a kernel belongs to: from the xnu
// version in its banner, cross-checked against the symbols that only exist from some release on.
import type { SymbolTable } from '../symbols/types';
import { FAMILIES, FAMILY_RANGES, FAMILY_START } from './layouts';
import type { Family } from './types';
import type { DarwinVersion } from './version';

/** anything that names the kernel version: a banner, "xnu-4570.71.2~1", "4570.71.2", or an object holding one */
export type VersionInput =
  | DarwinVersion
  | string
  | null
  | undefined
  | {
      xnu?: unknown;
      banner?: unknown;
      [k: string]: unknown;
    };

export interface FamilyDecision {
  family: Family;
  /** xnu version parts, when known */
  xnu: number[] | null;
  /** e.g. "xnu-4570.71.2 → F4 (10.13–10.15.3)" plus any cross-check remark */
  reason: string;
  /** cross-checks that disagreed with the version (also in reason) */
  conflicts: string[];
}

const XNU_RE = /xnu-(\d+(?:\.\d+)*)/;

/** xnu version parts from a banner or version string; null when none found */
export function parseXnuVersion(input: VersionInput): number[] | null {
  if (input == null) return null;
  if (typeof input === 'object') {
    for (const key of ['xnu', 'xnuParts', 'banner']) {
      const v = (input as Record<string, unknown>)[key];
      if (typeof v === 'string') {
        const r = parseXnuVersion(v);
        if (r) return r;
      } else if (Array.isArray(v) && v.length >= 2 && v.every((x) => typeof x === 'number')) {
        return v as number[];
      } else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.major === 'number' && typeof o.minor === 'number') return [o.major, o.minor];
        if (Array.isArray(o.parts)) return parseXnuVersion({ xnu: o.parts });
        if (typeof o.text === 'string') return parseXnuVersion(o.text);
      }
    }
    return null;
  }
  const m = XNU_RE.exec(input) ?? /^(\d{4,5}(?:\.\d+)*)/.exec(input.trim());
  if (!m) return null;
  return m[1]!.split('.').map((p) => Number(p));
}

/** family of an xnu version by its first two parts */
export function familyForXnu(xnu: readonly number[]): Family {
  const major = xnu[0] ?? 0;
  const minor = xnu[1] ?? 0;
  let fam: Family = 'F1';
  for (const [f, ma, mi] of FAMILY_START) {
    if (major > ma || (major === ma && minor >= mi)) fam = f;
  }
  return fam;
}

function rank(f: Family): number {
  return FAMILIES.indexOf(f);
}

/**
 * Symbol probes: c_buffers ⇒ ≥ 10.11 (F2), c_slot_packing_params ⇒ ≥ 11.0 (F6),
 * c_seg_bufsize ⇒ ≥ 12.0 (F7). Absence gives upper bounds the other way.
 */
export function familyBoundsFromSymbols(symbols: SymbolTable): { min: Family; max: Family; notes: string[] } {
  let min: Family = 'F1';
  let max: Family = 'F9';
  const notes: string[] = [];
  const has = (n: string) => symbols.hasSymbol(n);
  if (has('c_buffers')) {
    min = 'F2';
    notes.push('c_buffers ⇒ ≥10.11');
  } else {
    max = 'F1';
    notes.push('no c_buffers ⇒ ≤10.10');
  }
  if (has('c_slot_packing_params')) {
    if (rank(min) < rank('F6')) min = 'F6';
    notes.push('c_slot_packing_params ⇒ ≥11');
  } else if (rank(max) > rank('F5')) {
    max = 'F5';
    notes.push('no c_slot_packing_params ⇒ ≤10.15');
  }
  if (has('c_seg_bufsize')) {
    if (rank(min) < rank('F7')) min = 'F7';
    notes.push('c_seg_bufsize ⇒ ≥12');
  } else if (rank(max) > rank('F7')) {
    // 11.4–11.x (F7) has no c_seg_bufsize either
    max = 'F7';
    notes.push('no c_seg_bufsize ⇒ ≤11.x');
  }
  if (rank(min) > rank(max)) {
    notes.push('symbol probes contradict each other');
    max = min;
  }
  return { min, max, notes };
}

/** F2/F3 share a c_segment; F4/F5 differ only in c_busy_for_thread… the ISF's c_segment fields can narrow a guess */
function familyFromIsfFields(symbols: SymbolTable): Family | null {
  const seg = symbols.userTypes['c_segment'];
  if (!seg) return null;
  const fl = seg.fields;
  if (fl['c_slots'] && fl['c_ondisk']) return 'F1';
  if (!fl['c_slots_used']) {
    const segu = symbols.userTypes['c_segu'];
    const segno = segu?.fields['c_segno'];
    const size = segno?.type.kind === 'base' ? symbols.baseTypes[segno.type.name]?.size : undefined;
    return size === 8 ? 'F3' : 'F2';
  }
  const mysegno = fl['c_mysegno'];
  if (mysegno && mysegno.type.kind !== 'bitfield') return 'F9';
  if (fl['c_swappedin']) return 'F8';
  if (fl['c_agedin_ts']) return 'F7';
  const store = fl['c_store'];
  if (fl['c_busy_for_thread'] && store && store.offset < (fl['c_busy_for_thread']?.offset ?? 0)) return 'F6';
  if (fl['c_busy_for_thread']) return 'F5';
  return 'F4';
}

/**
 * Decide the family. The xnu version wins when present (clamped to what the symbols allow, with the
 * disagreement reported); without it, the ISF's c_segment shape, then the symbol probes, decide.
 */
export function detectFamily(version: VersionInput, symbols: SymbolTable, layoutSource?: 'isf' | 'built-in'): FamilyDecision {
  const xnu = parseXnuVersion(version) ?? parseXnuVersion(symbols.banner);
  const bounds = familyBoundsFromSymbols(symbols);
  const conflicts: string[] = [];
  let family: Family;
  let head: string;
  if (xnu) {
    family = familyForXnu(xnu);
    head = `xnu-${xnu.join('.')} → ${family} (${FAMILY_RANGES[family].macos})`;
    if (rank(family) < rank(bounds.min) || rank(family) > rank(bounds.max)) {
      const clamped = rank(family) < rank(bounds.min) ? bounds.min : bounds.max;
      conflicts.push(`symbols say ${bounds.min}–${bounds.max} (${bounds.notes.join(', ')}); using ${clamped}`);
      family = clamped;
    }
  } else {
    const fromIsf = familyFromIsfFields(symbols);
    if (fromIsf && rank(fromIsf) >= rank(bounds.min) && rank(fromIsf) <= rank(bounds.max)) {
      family = fromIsf;
      head = `no xnu version; c_segment fields → ${family} (${FAMILY_RANGES[family].macos})`;
    } else {
      family = bounds.max;
      head = `no xnu version; symbols → ${bounds.min}–${bounds.max} (${bounds.notes.join(', ')}), assuming ${family}`;
    }
  }
  const parts = [head];
  if (layoutSource) parts.push(layoutSource === 'isf' ? 'layouts from ISF' : `built-in layout ${family}`);
  parts.push(...conflicts);
  return { family, xnu, reason: parts.join('; '), conflicts };
}
