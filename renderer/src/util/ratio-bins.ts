// The overview's ratio-per-segment chart on a big case: a canvas a few hundred pixels wide cannot show
// 18,000 bars, and drawing them cost most of the overview's render. Past `maxBars` segments, runs of
// consecutive segments become one bar each, whose ratio is that of the run's bytes (compressed over
// uncompressed, so it is the run's real ratio, not an average of ratios), marked when any segment in
// it has a problem.

export interface RatioSegment {
  index: number;
  compressedBytes: number;
  uncompressedBytes: number;
  problems: readonly string[];
}

export interface RatioBin {
  first: number;
  last: number;
  /** percent of page size, two decimals */
  ratio: number;
  problems: boolean;
}

export function ratioBins(segments: readonly RatioSegment[], maxBars: number): RatioBin[] {
  const segs = segments.filter((s) => s.uncompressedBytes > 0);
  const per = Math.max(1, Math.ceil(segs.length / Math.max(1, maxBars)));
  const out: RatioBin[] = [];
  for (let i = 0; i < segs.length; i += per) {
    let c = 0;
    let u = 0;
    let problems = false;
    const run = segs.slice(i, i + per);
    for (const s of run) {
      c += s.compressedBytes;
      u += s.uncompressedBytes;
      problems ||= s.problems.length > 0;
    }
    out.push({ first: run[0]!.index, last: run.at(-1)!.index, ratio: +((c / u) * 100).toFixed(2), problems });
  }
  return out;
}

export const binLabel = (b: RatioBin): string => (b.first === b.last ? String(b.first) : `${b.first}–${b.last}`);
