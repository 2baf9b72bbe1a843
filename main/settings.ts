// What the app remembers between runs: the last symbol folder (to match a kernel against next time) and
// the cases opened lately (image and symbol table, newest first). A small JSON file written atomically;
// a missing or damaged file means "nothing remembered", never an error.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RecentCase } from '../core/api';

export interface Settings {
  recentSymbols(): string | null;
  rememberSymbols(symbolsPath: string): void;
  /** newest first, at most MAX_RECENT_CASES */
  recentCases(): RecentCase[];
  rememberCase(c: RecentCase): void;
}

export const MAX_RECENT_CASES = 8;

interface Stored {
  recentSymbols?: string;
  recentCases?: unknown;
}

/** the entries of a stored list that are well formed, newest first, one per image */
function cleanCases(v: unknown): RecentCase[] {
  if (!Array.isArray(v)) return [];
  const out: RecentCase[] = [];
  for (const x of v) {
    if (!x || typeof x !== 'object') continue;
    const { imagePath, symbolsPath } = x as Record<string, unknown>;
    if (typeof imagePath !== 'string' || !path.isAbsolute(imagePath) || out.some((c) => c.imagePath === imagePath)) continue;
    out.push(typeof symbolsPath === 'string' && path.isAbsolute(symbolsPath) ? { imagePath, symbolsPath } : { imagePath });
    if (out.length === MAX_RECENT_CASES) break;
  }
  return out;
}

/** the list with `c` in front (an earlier entry for the same image dropped) */
export function withRecentCase(list: RecentCase[], c: RecentCase): RecentCase[] {
  return cleanCases([c, ...list.filter((x) => x.imagePath !== c.imagePath)]);
}

export function fileSettings(file: string): Settings {
  const read = (): Stored => {
    try {
      const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      return v && typeof v === 'object' ? (v as Stored) : {};
    } catch {
      return {};
    }
  };
  const write = (change: Partial<Stored>): void => {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ ...read(), ...change }, null, 2) + '\n');
      renameSync(tmp, file);
    } catch {
      // remembering is a convenience; failing to write it must not fail the open
    }
  };
  return {
    recentSymbols() {
      const s = read().recentSymbols;
      return typeof s === 'string' && s.length > 0 ? s : null;
    },
    rememberSymbols(symbolsPath) {
      // a symbol file is remembered by its folder: the next image may need a sibling ISF
      let folder = symbolsPath;
      try {
        if (!statSync(symbolsPath).isDirectory()) folder = path.dirname(symbolsPath);
      } catch {
        return;
      }
      write({ recentSymbols: folder });
    },
    recentCases() {
      return cleanCases(read().recentCases);
    },
    rememberCase(c) {
      write({ recentCases: withRecentCase(cleanCases(read().recentCases), c) });
    },
  };
}

export function memorySettings(initial: string | null = null): Settings {
  let recent = initial;
  let cases: RecentCase[] = [];
  return {
    recentSymbols: () => recent,
    rememberSymbols: (p) => {
      recent = p;
    },
    recentCases: () => cases,
    rememberCase: (c) => {
      cases = withRecentCase(cases, c);
    },
  };
}
