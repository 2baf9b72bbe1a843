import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AtomicDir, assertOutputFree, writeFileAtomic } from '../../core/export/atomic';
import { ExportError } from '../../core/errors';
import { faultyFs } from './faulty-fs';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'unfold-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<ExportError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ExportError);
    return e as ExportError;
  }
  throw new Error('expected an ExportError');
}

describe('writeFileAtomic', () => {
  it('writes, hashes, and leaves no temporary file', async () => {
    const f = path.join(dir, 'out.bin');
    const r = await writeFileAtomic(f, 'hello evidence\n');
    expect(r).toEqual({ path: f, bytes: 15, sha256: sha('hello evidence\n') });
    expect(readFileSync(f, 'utf8')).toBe('hello evidence\n');
    expect(readdirSync(dir)).toEqual(['out.bin']);
  });

  it('streams chunks larger and smaller than its buffer and hashes them in order', async () => {
    const parts = [Buffer.alloc(3 << 20, 7), Buffer.from('x'), Buffer.alloc((1 << 20) - 1, 9), Buffer.alloc(5, 1)];
    async function* gen(): AsyncGenerator<Uint8Array> {
      for (const p of parts) yield p;
    }
    const f = path.join(dir, 'big.bin');
    const r = await writeFileAtomic(f, gen(), { durable: false });
    const all = Buffer.concat(parts);
    expect(r.bytes).toBe(all.length);
    expect(r.sha256).toBe(sha(all));
    expect(sha(readFileSync(f))).toBe(sha(all));
  });

  it('refuses to replace an existing file unless asked', async () => {
    const f = path.join(dir, 'keep.txt');
    writeFileSync(f, 'original');
    const e = await failure(writeFileAtomic(f, 'new'));
    expect(e.code).toBe('EXISTS');
    expect(e.message).toBe(`${f} already exists; not overwritten (ask to overwrite to replace it)`);
    expect(readFileSync(f, 'utf8')).toBe('original');
    await writeFileAtomic(f, 'new', { overwrite: true });
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['keep.txt']);
  });

  it('a full disk mid-write leaves neither the file nor the temporary', async () => {
    const f = path.join(dir, 'full.bin');
    const fs = faultyFs({ write: { match: (p) => p.includes('.full.bin.tmp-'), after: 1000, code: 'ENOSPC' } });
    const e = await failure(writeFileAtomic(f, Buffer.alloc(2 << 20), { fs }));
    expect(e.code).toBe('WRITE_FAILED');
    expect(e.message).toBe(`cannot write ${f}: no space left on the device (ENOSPC)`);
    expect(e.details).toMatchObject({ file: f, cause: 'ENOSPC' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a folder it may not write to is a clear error', async () => {
    const f = path.join(dir, 'nope.bin');
    const fs = faultyFs({ open: { match: (p) => p.startsWith(dir), code: 'EACCES' } });
    const e = await failure(writeFileAtomic(f, 'x', { fs }));
    expect(e.code).toBe('WRITE_FAILED');
    expect(e.message).toBe(`cannot create ${f}: permission denied (EACCES)`);
  });

  it('without hard links it still refuses a file that appeared meanwhile', async () => {
    const f = path.join(dir, 'race.txt');
    const fs = faultyFs({ link: { code: 'EPERM' } });
    await writeFileAtomic(f, 'first', { fs });
    expect(readFileSync(f, 'utf8')).toBe('first');
    // appears between the existence check and the commit
    let intruded = false;
    const fs2 = faultyFs({
      link: { code: 'EPERM' },
      write: {
        match: (p) => {
          if (!intruded && p.includes('.race2.txt.tmp-')) {
            intruded = true;
            writeFileSync(path.join(dir, 'race2.txt'), 'intruder');
          }
          return false;
        },
        after: 0,
        code: 'EIO',
      },
    });
    const e = await failure(writeFileAtomic(path.join(dir, 'race2.txt'), 'mine', { fs: fs2 }));
    expect(e.code).toBe('EXISTS');
    expect(readFileSync(path.join(dir, 'race2.txt'), 'utf8')).toBe('intruder');
    expect(readdirSync(dir).sort()).toEqual(['race.txt', 'race2.txt']);
  });
});

describe('AtomicDir', () => {
  it('builds under a partial name and appears whole', async () => {
    const out = path.join(dir, 'exp');
    const d = await AtomicDir.create(out);
    expect(path.basename(d.staging)).toMatch(/^exp\.partial-[0-9a-f]{12}$/);
    writeFileSync(d.file('a.txt'), 'a');
    expect(readdirSync(dir)).toEqual([path.basename(d.staging)]);
    await d.commit();
    expect(readdirSync(dir)).toEqual(['exp']);
    expect(readFileSync(path.join(out, 'a.txt'), 'utf8')).toBe('a');
  });

  it('refuses a folder that appeared while building, and cleans up', async () => {
    const out = path.join(dir, 'exp');
    const d = await AtomicDir.create(out);
    mkdirSync(out);
    writeFileSync(path.join(out, 'theirs.txt'), 't');
    const e = await failure(d.commit());
    expect(e.code).toBe('EXISTS');
    expect(readdirSync(dir)).toEqual(['exp']);
    expect(readdirSync(out)).toEqual(['theirs.txt']);
  });

  it('assertOutputFree refuses a non-empty folder or a file, accepts absent or empty', () => {
    expect(() => assertOutputFree(path.join(dir, 'absent'))).not.toThrow();
    mkdirSync(path.join(dir, 'empty'));
    expect(() => assertOutputFree(path.join(dir, 'empty'))).not.toThrow();
    writeFileSync(path.join(dir, 'file'), 'x');
    expect(() => assertOutputFree(path.join(dir, 'file'))).toThrow(ExportError);
    // --overwrite replaces only an earlier Unfold export folder, never a plain file
    expect(() => assertOutputFree(path.join(dir, 'file'), true)).toThrow(`${path.join(dir, 'file')} is a file, not an earlier export folder; nothing was written or deleted`);
    expect(() => assertOutputFree(dir)).toThrow(`${dir} already exists and is not empty; nothing was written (ask to overwrite to replace it)`);
  });
});
