// Turning whatever went wrong into the plain ApiError the UI explains. Core's UnfoldErrors keep their
// code and details; anything else is an INTERNAL error with its message (never a stack: the UI shows it).
import type { ApiError, AppErrorCode } from '../core/api';

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode | 'CANCELLED',
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const appError = (code: AppError['code'], message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError(code, message, details);

/** details must cross IPC, HTTP and JSON: bigints become hex, anything odd becomes text, depth is capped */
function plain(v: unknown, depth = 0): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return '0x' + v.toString(16);
  if (depth > 4) return '…';
  if (Array.isArray(v)) return v.slice(0, 100).map((x) => plain(x, depth + 1));
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>).slice(0, 50)) {
      if (typeof x !== 'function' && x !== undefined) out[k] = plain(x, depth + 1);
    }
    return out;
  }
  return String(v);
}

export function toApiError(e: unknown): ApiError {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown; details?: unknown; name?: unknown };
    const message = typeof o.message === 'string' && o.message ? o.message : String(e);
    if (typeof o.code === 'string' && /^[A-Z][A-Z0-9_?]*$/.test(o.code)) {
      const details = o.details && typeof o.details === 'object' ? (plain(o.details) as Record<string, unknown>) : undefined;
      return details && Object.keys(details).length ? { code: o.code, message, details } : { code: o.code, message };
    }
    // Node's file system errors: say which file and why, under stable codes the UI words
    if (typeof o.code === 'string' && /^E[A-Z]+$/.test(o.code)) {
      const known: Record<string, string> = { ENOENT: 'NOT_FOUND', EACCES: 'PERMISSION', EPERM: 'PERMISSION', EISDIR: 'NOT_FOUND', ENOSPC: 'WRITE_FAILED' };
      return { code: known[o.code] ?? 'IO', message, details: { errno: o.code } };
    }
    if (e instanceof RangeError) return { code: 'NOT_FOUND', message };
    return { code: 'INTERNAL', message };
  }
  return { code: 'INTERNAL', message: String(e) };
}
