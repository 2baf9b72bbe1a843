// What the app remembers between runs: the last symbol folder (to match a kernel against next time).
// A small JSON file; a missing or damaged file means "nothing remembered", never an error.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Settings {
  recentSymbols(): string | null;
  rememberSymbols(symbolsPath: string): void;
}

interface Stored {
  recentSymbols?: string;
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
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify({ ...read(), recentSymbols: folder }, null, 2) + '\n');
        renameSync(tmp, file);
      } catch {
        // remembering is a convenience; failing to write it must not fail the open
      }
    },
  };
}

export function memorySettings(initial: string | null = null): Settings {
  let recent = initial;
  return {
    recentSymbols: () => recent,
    rememberSymbols: (p) => {
      recent = p;
    },
  };
}
