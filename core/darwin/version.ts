// What a "Darwin Kernel Version …" banner says: darwin and xnu versions, kernel configuration,
// architecture, and a guess at the macOS release.
//   Darwin Kernel Version 17.7.0: Thu Jun 21 22:53:14 PDT 2018; root:xnu-4570.71.2~1/RELEASE_X86_64
//   Darwin Kernel Version 23.0.0: Fri Sep 15 14:41:43 PDT 2023; root:xnu-10002.1.13~1/RELEASE_ARM64_T6000

export const BANNER_PREFIX = 'Darwin Kernel Version ';

export interface DarwinVersion {
  banner: string;
  major: number;
  minor: number;
  patch: number;
  /** build date text between ": " and ";" (may be empty) */
  date: string;
  /** "xnu-4570.71.2~1" or null */
  xnu: string | null;
  /** numeric parts of the xnu version: [4570, 71, 2] (without the ~build suffix) */
  xnuParts: number[];
  /** "RELEASE_X86_64", "DEVELOPMENT_ARM64_T8103", … or null */
  kernelConfig: string | null;
  arch: 'x86_64' | 'arm64' | null;
  /** SoC of an arm64 kernel ("T8101") or null */
  soc: string | null;
  /** macOS major release guessed from darwin major ("10.13", "14") or null */
  macos: string | null;
}

const BANNER_RE =
  /^Darwin Kernel Version (\d{1,3})\.(\d{1,3})\.(\d{1,3}):\s*([^;]*?)\s*(?:;\s*root:(xnu[-_][^/\s]*)\/?(\S*))?\s*$/;

/** darwin major → macOS release (13 → 10.9 … 19 → 10.15, 20 → 11, … 24 → 15) */
export function macosFromDarwin(major: number): string | null {
  if (major >= 5 && major <= 19) return `10.${major - 4}`;
  if (major >= 20) return String(major - 9);
  return null;
}

/** xnu major build → macOS release (per the xnu tag map in the compressor notes) */
export function macosFromXnu(xnuMajor: number): string | null {
  const table: Array<[number, number, string]> = [
    [2422, 2422, '10.9'],
    [2782, 2782, '10.10'],
    [3247, 3248, '10.11'],
    [3789, 3789, '10.12'],
    [4570, 4570, '10.13'],
    [4903, 4903, '10.14'],
    [6041, 6153, '10.15'],
    [7195, 7195, '11'],
    [8019, 8020, '12'],
    [8792, 8796, '13'],
    [10002, 10063, '14'],
    [11215, 11417, '15'],
  ];
  for (const [lo, hi, v] of table) if (xnuMajor >= lo && xnuMajor <= hi) return v;
  return null;
}

/** parse a banner; returns null when the text is not a Darwin kernel banner */
export function parseBanner(banner: string): DarwinVersion | null {
  const text = banner.replace(/\0.*$/s, '').trim();
  const m = BANNER_RE.exec(text);
  if (m === null) return null;
  const major = Number(m[1]);
  const xnu = m[5] ?? null;
  const xnuParts = xnu === null ? [] : (/^xnu[-_]([\d.]+)/.exec(xnu)?.[1] ?? '').split('.').filter((s) => s !== '').map(Number);
  const kernelConfig = m[6] !== undefined && m[6] !== '' ? m[6] : null;
  let arch: DarwinVersion['arch'] = null;
  let soc: string | null = null;
  if (kernelConfig !== null) {
    if (/_X86_64(?:$|_)/.test(kernelConfig)) arch = 'x86_64';
    const arm = /_ARM64(?:_([A-Z0-9]+))?/.exec(kernelConfig);
    if (arm !== null) {
      arch = 'arm64';
      soc = arm[1] ?? null;
    }
  }
  return {
    banner: text,
    major,
    minor: Number(m[2]),
    patch: Number(m[3]),
    date: m[4] ?? '',
    xnu,
    xnuParts,
    kernelConfig,
    arch,
    soc,
    macos: macosFromDarwin(major) ?? (xnuParts.length > 0 ? macosFromXnu(xnuParts[0]!) : null),
  };
}
