// Errors that stop an operation carry a stable `code` (for the CLI's exit status and the app's wording)
// and the facts a person needs to act on them (addresses, offsets, file names).
// Per-slot problems are *results* (see core/darwin/types.ts), not exceptions.

/**
 * Every code an UnfoldError may carry: a closed list, so that each has words in the app
 * (renderer/src/util/errors.ts) and an exit status in the CLI (core/cli/exit-status.ts), both typed
 * as complete records over it.
 */
export const ERROR_CODES = [
  'NOT_PRESENT',
  'TRUNCATED_IMAGE',
  'IMAGE_FORMAT',
  'CORRUPT_STREAM',
  'NO_KERNEL',
  'NO_SYMBOLS',
  'BAD_SYMBOLS',
  'NO_COMPRESSOR',
  'LAYOUT',
  'BAD_DTB',
  'EXISTS',
  'WRITE_FAILED',
  'CANCELLED',
  'BAD_QUERY',
  'NOT_FOUND',
  'PERMISSION',
  'IO',
  'BAD_OPTION',
  'INCONSISTENT',
  'MISSING_SYMBOL',
  'NOT_PACKED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class UnfoldError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

const hex = (v: number | bigint): string => '0x' + v.toString(16);

/** A physical or virtual address that the evidence does not hold (hole, unmapped page, missing range). */
export class NotPresentError extends UnfoldError {
  readonly address: bigint;
  readonly space: 'physical' | 'virtual';
  constructor(space: 'physical' | 'virtual', address: number | bigint, why = 'not present in the image') {
    super('NOT_PRESENT', `${space} address ${hex(address)} ${why}`, { space, address: hex(address) });
    this.address = BigInt(address);
    this.space = space;
  }
}

/** The evidence file ends before the data its own headers promise. */
export class TruncatedImageError extends UnfoldError {
  constructor(readonly physical: number, readonly fileOffset: number, readonly fileSize: number, path: string) {
    super(
      'TRUNCATED_IMAGE',
      `image ${path} is truncated: physical address ${hex(physical)} maps to file offset ${hex(fileOffset)}, but the file ends at ${hex(fileSize)} (${fileSize} bytes)`,
      { physical: hex(physical), fileOffset: hex(fileOffset), fileSize },
    );
  }
}

/** The file is not any image format Unfold knows, or its header is damaged. */
export class ImageFormatError extends UnfoldError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('IMAGE_FORMAT', message, details);
  }
}

/** A compressed stream that cannot be decoded. `area` names the part of the stream at fault. */
export class CodecError extends UnfoldError {
  constructor(
    readonly codec: 'wkdm' | 'lz4' | 'mzv' | 'single' | 'raw',
    readonly area: string,
    readonly offset: number,
    message: string,
  ) {
    super('CORRUPT_STREAM', `${codec}: ${message} (${area}, byte offset ${offset})`, { codec, area, offset });
  }
}

/** No kernel, or no symbol table matching it, could be found. */
export class DiscoveryError extends UnfoldError {
  constructor(code: 'NO_KERNEL' | 'NO_SYMBOLS' | 'BAD_SYMBOLS' | 'NO_COMPRESSOR', message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

/**
 * The symbol table lacks a symbol, type or field a reader needs (an ISF without the process or VM
 * types, say). Names exactly what is missing and where it was looked for.
 */
export class MissingSymbolError extends UnfoldError {
  constructor(
    readonly what: 'symbol' | 'type' | 'field',
    readonly missing: string,
    readonly source: string,
    why = '',
  ) {
    super('MISSING_SYMBOL', `the symbol table (${source}) has no ${what} ${missing}${why ? `: ${why}` : ''}`, { what, missing, source });
  }
}

/** An export or other write that was refused or failed without leaving partial output under the final name. */
export class ExportError extends UnfoldError {
  constructor(code: 'EXISTS' | 'WRITE_FAILED' | 'CANCELLED', message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

export class CancelledError extends UnfoldError {
  constructor() {
    super('CANCELLED', 'cancelled');
  }
}

/** A command-line option or request value that is not acceptable; `option` names it. */
export class OptionError extends UnfoldError {
  constructor(readonly option: string, message: string) {
    super('BAD_OPTION', message, { option });
  }
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'there is no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

/**
 * A file system error (errno code) as an UnfoldError that says which file, what was being done and
 * why in words: NOT_FOUND for ENOENT/ENOTDIR, PERMISSION for EACCES/EPERM, IO otherwise. Anything that
 * is not an errno error is returned unchanged.
 */
export function fromErrno(e: unknown, file: string, doing = 'open'): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof UnfoldError || typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return e;
  const why = ERRNO_WORDS[code] ?? (e as Error).message;
  const kind: ErrorCode = code === 'ENOENT' || code === 'ENOTDIR' ? 'NOT_FOUND' : code === 'EACCES' || code === 'EPERM' ? 'PERMISSION' : 'IO';
  return new UnfoldError(kind, `cannot ${doing} ${file}: ${why} (${code})`, { file, errno: code });
}

/**
 * An error that crossed from a worker thread as plain data, rebuilt with its code so the receiving
 * side maps it to the same words and exit status as if it had been thrown there.
 */
export function reviveError(e: { message?: string; code?: string; details?: Record<string, unknown>; name?: string } | undefined): Error {
  const message = e?.message ?? 'worker failed';
  if (e?.code && (ERROR_CODES as readonly string[]).includes(e.code)) {
    const err = new UnfoldError(e.code as ErrorCode, message, e.details ?? {});
    if (e.name) err.name = e.name;
    return err;
  }
  return Object.assign(new Error(message), e?.code ? { code: e.code } : {});
}
