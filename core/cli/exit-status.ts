// The exit status of every error code. A complete record over ErrorCode: a new code does not compile
// until it has a status here (and words in the app). README "Command line" lists the same statuses.
import type { ErrorCode } from '../errors';

export const EXIT = { ok: 0, failure: 1, badData: 2, discovery: 3, inconsistent: 4, cancelled: 130, usage: 64 } as const;
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_STATUS: Record<ErrorCode, ExitStatus> = {
  // bad data, a refused or failed write, or a file that cannot be read
  NOT_PRESENT: EXIT.badData,
  TRUNCATED_IMAGE: EXIT.badData,
  IMAGE_FORMAT: EXIT.badData,
  CORRUPT_STREAM: EXIT.badData,
  EXISTS: EXIT.badData,
  WRITE_FAILED: EXIT.badData,
  BAD_QUERY: EXIT.badData,
  NOT_FOUND: EXIT.badData,
  PERMISSION: EXIT.badData,
  IO: EXIT.badData,
  // no kernel, no symbols that fit it, or symbols/layouts that cannot be used
  NO_KERNEL: EXIT.discovery,
  NO_SYMBOLS: EXIT.discovery,
  BAD_SYMBOLS: EXIT.discovery,
  NO_COMPRESSOR: EXIT.discovery,
  LAYOUT: EXIT.discovery,
  BAD_DTB: EXIT.discovery,
  MISSING_SYMBOL: EXIT.discovery,
  NOT_PACKED: EXIT.discovery,
  // the walk ran, but what it read disagrees with the kernel's counts or could not all be read
  INCONSISTENT: EXIT.inconsistent,
  BAD_OPTION: EXIT.usage,
  CANCELLED: EXIT.cancelled,
};
