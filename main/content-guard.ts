// Errors must never carry a file's contents to the client. Whoever can call the API chooses the paths it
// opens; if an error about "this is not a symbol table" quoted the file, the API would be a way to read
// the first line of any file. Two defences for the errors of calls that read the person's files:
//  - the one producer known to quote its input, V8's JSON.parse ("Unexpected token 'r', "root:x:0:0"...
//    is not valid JSON"), has its quotation cut out wherever it appears;
//  - then every error is compared with the head of each file the call was given (for a folder, of the
//    files in it): if any run of SAMPLE characters of the message, or a whole short line of the file,
//    appears there, the message and details are replaced by a plain one that names the path only.
// The paths the client sent and a Darwin kernel banner (named on purpose: it says which symbol table to
// get) are left out of the comparison. A false alarm costs only detail in one error message; a miss would leak, so the check errs that way.
import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ApiError, ApiResult } from '../core/api';

/** bytes of each file compared with the message */
export const HEAD_BYTES = 64 << 10;
/** files of a folder looked at */
const MAX_FOLDER_FILES = 64;
/** a message run this long found in a file counts as quoting it */
export const SAMPLE = 12;
/** a file line this long or longer (but shorter than SAMPLE) found whole in the message counts too */
const MIN_LINE = 5;

/** a kernel's version banner, which errors name on purpose (to say which symbol table to get) */
const BANNER = /Darwin Kernel Version [^'"\n]*/g;

const JSON_QUOTE = /Unexpected token (?:'[\s\S]{0,4}?'|[\s\S]), "[\s\S]*?"(?:\.\.\.)? is not valid JSON/g;

/** V8's JSON.parse messages without the piece of input they quote */
export function withoutJsonQuote(message: string): string {
  return message.replace(JSON_QUOTE, 'its text is not JSON');
}

async function head(file: string): Promise<string | null> {
  let fh;
  try {
    // non-blocking: a FIFO put in the file's place must not hang the call (it is then skipped, not a file)
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = await fh.stat();
    if (!st.isFile()) return null;
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, st.size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('latin1');
  } catch {
    return null;
  } finally {
    await fh?.close();
  }
}

/** the heads of a file, or of the files directly in a folder */
async function heads(p: string): Promise<string[]> {
  const one = await head(p);
  if (one !== null) return [one];
  try {
    const names = (await readdir(p)).sort().slice(0, MAX_FOLDER_FILES);
    const all = await Promise.all(names.map((n) => head(path.join(p, n))));
    return all.filter((h): h is string => h !== null);
  } catch {
    return [];
  }
}

/** does `text` quote `content`: a run of SAMPLE characters of it, or a whole short line of the file */
export function quotes(text: string, content: string): boolean {
  if (content.length === 0) return false;
  for (let i = 0; i + SAMPLE <= text.length; i++) {
    if (content.includes(text.slice(i, i + SAMPLE))) return true;
  }
  for (const line of content.slice(0, 4096).split(/\r?\n|\r/, 64)) {
    const l = line.trim();
    if (/^[\x20-\x7e]+$/.test(l) && l.length >= MIN_LINE && l.length < SAMPLE && text.includes(l)) return true;
  }
  return false;
}

function strings(v: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof v === 'string') out.push(v);
  else if (depth < 5 && v && typeof v === 'object') for (const x of Object.values(v as Record<string, unknown>)) strings(x, out, depth + 1);
  return out;
}

/**
 * `error` as it may go to the client, given the files the call read (`paths`, named in `labels` for the
 * replacement message). The paths themselves may appear in a message: they are what the client sent.
 */
export async function scrubError(method: string, error: ApiError, files: { label: string; path: string }[]): Promise<ApiError> {
  const cleaned: ApiError = { ...error, message: withoutJsonQuote(error.message) };
  if (error.details) cleaned.details = JSON.parse(withoutJsonQuote(JSON.stringify(error.details))) as Record<string, unknown>;
  const texts = [cleaned.message, ...strings(cleaned.details)].map((t) => files.reduce((s, f) => s.split(f.path).join(' '), t).replace(BANNER, ' '));
  for (const f of files) {
    for (const content of await heads(f.path)) {
      if (texts.some((t) => quotes(t, content))) {
        // flags (true/false) say which kind of failure it was, so the UI can still word it, and cannot
        // carry a file's text
        const flags = Object.fromEntries(Object.entries(error.details ?? {}).filter(([, v]) => typeof v === 'boolean'));
        return {
          code: error.code,
          message: `${method}: the ${f.label} ${f.path} could not be used (${error.code}); the error's own words quoted the file, so they are not shown`,
          details: { ...flags, path: f.path },
        };
      }
    }
  }
  return cleaned;
}

/** the files YARA sources ask to include (whether or not the engine follows includes, its error might quote them) */
export function yaraIncludes(sources: string[]): { label: string; path: string }[] {
  const out: { label: string; path: string }[] = [];
  for (const src of sources) {
    for (const m of src.matchAll(/\binclude\s+"((?:[^"\\\n]|\\.)+)"/g)) {
      const p = m[1]!.replace(/\\(.)/g, '$1');
      if (!p.includes('\0')) out.push({ label: 'file included by the YARA rules', path: path.resolve(p) });
    }
  }
  return out.slice(0, 16);
}

/** a handler's result with its error (if any) scrubbed */
export async function withoutFileContent<T>(method: string, r: ApiResult<T>, files: { label: string; path: string }[]): Promise<ApiResult<T>> {
  return r.ok ? r : { ok: false, error: await scrubError(method, r.error, files) };
}
