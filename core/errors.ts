// Errors that stop an operation carry a stable `code` (for the CLI's exit status and the app's wording)
// and the facts a person needs to act on them (addresses, offsets, file names).
// Per-slot problems are *results* (see core/darwin/types.ts), not exceptions.

export class UnfoldError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
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
