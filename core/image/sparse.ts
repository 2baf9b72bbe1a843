// Where a sparse evidence file holds data. A 1 TiB file that is mostly holes takes minutes to read
// (the kernel hands back zeros at memory speed), while a kernel banner can only be in its data. Node
// has no lseek(SEEK_DATA/SEEK_HOLE), so the extents are asked of a one-line Perl helper (Perl ships
// with macOS and nearly every Linux); wherever that is not possible, or the file is not sparse, the
// answer is null and the caller reads everything, as before.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** whence values of lseek(2) for data and holes, by platform */
const WHENCE: Partial<Record<NodeJS.Platform, { data: number; hole: number }>> = {
  linux: { data: 3, hole: 4 },
  darwin: { data: 4, hole: 3 },
  freebsd: { data: 3, hole: 4 },
};

/** files below this are read whole: asking for extents would cost more than reading */
const MIN_SIZE = 1 << 30;
const MAX_EXTENTS = 1 << 20;

const PERL = [
  'open(my $f, "<", $ARGV[0]) or exit 2; my ($d0, $h0) = ($ARGV[1], $ARGV[2]); my $p = 0; my $n = 0;',
  'while (1) { my $d = sysseek($f, $p, $d0); last unless defined $d; my $h = sysseek($f, $d, $h0); exit 3 unless defined $h;',
  '$d = 0 if $d eq "0 but true"; $h = 0 if $h eq "0 but true"; print "$d $h\\n"; last if $h <= $d; $p = $h; exit 4 if ++$n > ' + MAX_EXTENTS + '; }',
].join(' ');

/**
 * The data extents [start, end) of `path`, sorted, or null when they cannot be had (not sparse,
 * small, no helper, an unsupported platform or file system). Every byte outside them reads as zero.
 */
export function dataExtents(path: string): Array<[number, number]> | null {
  const whence = WHENCE[process.platform];
  if (!whence || process.env.UNFOLD_SPARSE === 'off') return null;
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch {
    return null;
  }
  // allocated blocks well below the size: only then are there holes worth skipping
  if (!st.isFile() || st.size < MIN_SIZE || st.blocks * 512 > st.size * 0.9) return null;
  const r = spawnSync('perl', ['-e', PERL, path, String(whence.data), String(whence.hole)], {
    encoding: 'utf8',
    timeout: 20_000,
    maxBuffer: 64 * MAX_EXTENTS,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  if (r.status !== 0 || typeof r.stdout !== 'string') return null;
  const out: Array<[number, number]> = [];
  let last = 0;
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const m = /^(\d+) (\d+)$/.exec(line);
    if (!m) return null;
    const a = Number(m[1]);
    const b = Math.min(Number(m[2]), st.size);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < last || b < a) return null;
    if (b > a) out.push([a, b]);
    last = b;
  }
  // a file system that reports no holes gives one extent covering everything: nothing to gain
  if (out.length === 1 && out[0]![0] === 0 && out[0]![1] >= st.size) return null;
  return out;
}
