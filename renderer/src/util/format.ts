// How numbers, sizes and durations are written in the UI: exact where an examiner may quote them
// (counts, offsets), rounded only where a glance is enough (ratios, ETAs).

const nf = new Intl.NumberFormat('en-US');
export const int = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : nf.format(n));

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** compressed ÷ uncompressed as a percentage ("31.2 %"); the factor is shown beside it where useful */
export function ratio(compressed: number, uncompressed: number): string {
  if (!uncompressed) return '—';
  return `${((compressed / uncompressed) * 100).toFixed(1)} %`;
}

export function factor(compressed: number, uncompressed: number): string {
  if (!compressed) return '—';
  return `${(uncompressed / compressed).toFixed(2)}×`;
}

export const hex = (n: number, width = 0): string => '0x' + n.toString(16).padStart(width, '0');

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** time left from elapsed time and fraction done; null while the estimate would be noise */
export function eta(elapsedMs: number, done: number, total: number): string | null {
  if (total <= 0 || done <= 0 || done >= total || elapsedMs < 500) return null;
  return duration((elapsedMs / done) * (total - done));
}

/**
 * What a progress panel says about time, `sinceMs` after the report arrived: elapsed time keeps
 * counting between reports (a phase that reports rarely does not look frozen), and an estimate counts
 * down from when it was given; once it has run out by more than two seconds the panel says so instead
 * of repeating "about 0 s left". With no estimate from the sender, the plain average is used.
 */
export function progressClock(
  p: { elapsedMs: number; done: number; total: number; etaSeconds?: number | null },
  sinceMs: number,
): { elapsed: string; left: string | null } {
  const since = Math.max(0, sinceMs);
  const elapsed = duration(p.elapsedMs + since);
  if (p.etaSeconds === null) return { elapsed, left: null };
  if (p.etaSeconds === undefined) {
    const avg = eta(p.elapsedMs, p.done, p.total);
    return { elapsed, left: avg === null ? null : `about ${avg} left` };
  }
  const rem = p.etaSeconds * 1000 - since;
  if (rem > -2000) return { elapsed, left: `about ${duration(Math.max(0, rem))} left` };
  return { elapsed, left: 'taking longer than estimated' };
}

export function basename(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(i + 1) : p;
}

/** c_creation_ts and friends are seconds since boot */
export function sinceBoot(s: number | null): string {
  if (s === null || s === undefined) return '—';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

const PHASES: Record<string, string> = {
  demo: 'Building the demo image',
  open: 'Opening the image',
  discover: 'Finding the kernel',
  plan: 'Reading the compressor',
  decode: 'Decompressing pages',
  kinds: 'Reading slot kinds from the metadata',
  background: 'Decompressing pages',
  search: 'Searching pages',
  strings: 'Extracting strings',
  'strings-pages': 'Extracting strings from the pages that hold the text',
  export: 'Writing pages',
  hash: 'Hashing the evidence file',
};
export const phaseName = (p: string): string => PHASES[p] ?? p;

/** what core counts in each phase's done/total */
const UNITS: Record<string, string> = { kinds: 'segments', background: 'pages', decode: 'segments', search: 'segments', strings: 'segments', 'strings-pages': 'pages', export: 'segments' };
export const phaseUnit = (p: string): string => UNITS[p] ?? '';

export const KIND_LABEL: Record<string, string> = {
  wkdm: 'WKdm',
  lz4: 'LZ4',
  raw: 'Raw',
  single: 'Single value',
  mzv: 'MZV',
  corrupt: 'Corrupt',
  swapped: 'Swapped out',
  'encrypted?': 'Possibly encrypted',
};
