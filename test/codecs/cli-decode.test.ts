// The `unfold decode` contract: page bytes on stdout; a corrupt stream exits 2 with one line on stderr.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { manifest, sha256, VECTORS_DIR } from './vectors';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function unfold(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/unfold.mjs', 'decode', ...args], { cwd: ROOT, encoding: 'buffer', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr.toString('utf8') });
    });
  });
}

const vec = (rel: string): string => path.join(VECTORS_DIR, rel);
const byName = (name: string) => manifest.find((c) => c.name === name)!;

describe('unfold decode', () => {
  it('writes the page for WKdm (10.11+, 10.9 preset, 16 KiB, MZV) and LZ4 streams, and exits 2 on a corrupt one', async () => {
    const cases = [
      { c: byName('4k-real-pic-0.11417'), args: [] as string[] },
      { c: byName('4k-real-libxcb_a-24000.2422'), args: ['--dict-preset', '1'] },
      { c: byName('16k-sparse-002.11417a64'), args: ['--page-size', '16384'] },
      { c: byName('16k-real-libtasn1_a-14000.lz4'), args: ['--codec', 'lz4', '--page-size', '16384'] },
    ];
    const runs = cases.map(({ c, args }) => unfold([vec(c.compressed!), ...args]));
    const corrupt = unfold([vec(byName('corrupt-header-decreasing.2422').compressed!), '--dict-preset', '1']);
    const results = await Promise.all(runs);
    results.forEach((r, i) => {
      const c = cases[i]!.c;
      expect(r.stderr, c.name).toBe('');
      expect(r.code, c.name).toBe(0);
      expect(r.stdout.length, c.name).toBe(c.pageSize);
      expect(sha256(r.stdout), c.name).toBe(c.expectedSha256);
    });
    const bad = await corrupt;
    expect(bad.code).toBe(2);
    expect(bad.stdout.length).toBe(0);
    const lines = bad.stderr.split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain('header word 1');
  });
});
