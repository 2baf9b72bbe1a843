// Loads test/fixtures/vectors (Apple's own WKdm output and LZ4 blocks; see its README).
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const VECTORS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/vectors');

export interface VectorCase {
  name: string;
  codec: 'wkdm' | 'lz4';
  variant: string;
  arch: string | null;
  dictPreset: 0 | 1 | null;
  pageSize: 4096 | 16384;
  budget: number | null;
  returnValue: number | null;
  input: string | null;
  compressed: string | null;
  compressedSize: number;
  expectedSha256: string | null;
  corrupt: boolean;
  corruptReason: string | null;
  category: string;
  source: string;
  notes: string | null;
}

export const manifest: VectorCase[] = JSON.parse(readFileSync(path.join(VECTORS_DIR, 'manifest.json'), 'utf8'));

const cache = new Map<string, Uint8Array>();
export function vectorFile(rel: string): Uint8Array {
  let b = cache.get(rel);
  if (!b) {
    b = new Uint8Array(readFileSync(path.join(VECTORS_DIR, rel)));
    cache.set(rel, b);
  }
  return b;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** 'xnu-2422' for the 10.9–10.10 encoder, 'xnu-3247' (10.11+) for everything newer. */
export const wkdmVariantOf = (c: VectorCase): 'xnu-2422' | 'xnu-3247' => (c.variant.startsWith('xnu-2422') ? 'xnu-2422' : 'xnu-3247');
export const dictPresetOf = (c: VectorCase): 0 | 1 => (c.dictPreset ?? (c.variant.startsWith('xnu-2422') ? 1 : 0));
