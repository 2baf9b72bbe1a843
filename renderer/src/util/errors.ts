// Errors in words a person can act on: what happened, what to try, and what was still recovered.
// The technical message (addresses, offsets) stays available below the words for the report.
import type { ApiError, AppErrorCode } from '../../../core/api';
import type { ErrorCode } from '../../../core/errors';
import { bytes, int } from './format';

export type ErrorContext = 'open' | 'search' | 'strings' | 'save' | 'export' | 'page' | 'load';

export interface Explained {
  code: string;
  title: string;
  what: string;
  advice: string;
  /** what is still there despite the failure */
  recovered: string;
  /** the engine's own report, shown as is under the words (a YARA compiler's pointer at the column) */
  excerpt?: string;
  technical: string;
}

interface Wording {
  title: string;
  /** `message` is core's technical sentence: the exact reason, when the code alone cannot say it */
  what: (d: Record<string, unknown>, message: string) => string;
  advice: string | ((d: Record<string, unknown>) => string);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
/** core's sentence with a capital and a full stop, and without the "method: " prefix the app adds */
const sentence = (m: string): string => {
  const t = m.replace(/^[a-zA-Z]+: (?=[a-z])/, '').trim();
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?)]$/.test(t) ? '' : '.');
};

/** "the regex pattern /(x/: Unterminated group (at character 1)." — plus the engine's own lines apart */
function badPattern(d: Record<string, unknown>): string {
  const type = str(d.type) ?? 'search';
  const reason = str(d.reason) ?? '';
  const firstLine = reason.split('\n')[0]!;
  const pos = num(d.position);
  // YARA-X points at "origin:line:column" in its second line
  const yaraAt = type === 'yara' ? /-->\s*.*?:(\d+):(\d+)\s*$/m.exec(reason) : null;
  const where = pos !== null ? ` (at character ${pos})` : yaraAt ? ` (at line ${yaraAt[1]}, column ${yaraAt[2]})` : '';
  const kind = type === 'yara' ? 'The YARA rules' : type === 'query' ? 'The search' : `The ${type === 'utf16' ? 'UTF-16 string' : type} pattern`;
  const name = type === 'query' ? '' : ` ${str(d.pattern) ?? ''}`;
  return `${kind}${name} ${type === 'query' ? 'is not valid' : 'cannot be used'}: ${firstLine.replace(/^error\[\w+\]: /, '')}${where}.`;
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null);

/** every code core or the app can send: a complete record, so a new code does not compile without words */
export type WordedCode = ErrorCode | AppErrorCode | 'DISCONNECTED' | 'FORBIDDEN';

const WORDS: Record<WordedCode, Wording> = {
  LAYOUT: {
    title: 'A kernel structure could not be read',
    what: () => 'The symbol table (or Unfold\'s built-in layout for this macOS version) does not describe a structure the way Unfold needs to read it.',
    advice: 'Choose the ISF made for this exact kernel build; the technical details name the structure and field.',
  },
  BAD_DTB: {
    title: 'The kernel\'s page tables could not be used',
    what: () => 'The page-table root found for the kernel is not a usable address, so kernel memory cannot be translated.',
    advice: 'The image may be damaged or the symbol table may belong to another build; try the ISF for this exact kernel.',
  },
  MISSING_SYMBOL: {
    title: 'The symbol table lacks something Unfold needs',
    what: (d) => (typeof d.missing === 'string' ? `It has no ${String(d.what ?? 'symbol')} ${d.missing}.` : 'A symbol, type or field Unfold reads is not in the symbol table.'),
    advice: 'Use the full ISF made with dwarf2json from this kernel\'s debug kit, not a reduced one.',
  },
  NOT_PACKED: {
    title: 'A kernel pointer could not be unpacked',
    what: () => 'Unfold was asked to unpack a kind of pointer that this kernel version stores unpacked.',
    advice: 'This is a mismatch between the detected macOS version and the image; check the symbol table, and report it with the technical details.',
  },
  IO: {
    title: 'The file could not be read',
    what: () => 'The operating system reported an error while reading or opening the file.',
    advice: 'Check the disk and the file (the technical details give the system\'s error code), then try again.',
  },
  BAD_OPTION: {
    title: 'A value is not acceptable',
    what: (d, m) => (m ? `Not accepted: ${sentence(m)}` : 'A number or option given to Unfold is outside what it accepts.'),
    advice: (d) => (str(d.option) ? `Correct ${String(d.option)} and try again.` : 'Correct the value named above and try again.'),
  },
  INCONSISTENT: {
    title: 'The case is incomplete or disagrees with the kernel\'s counts',
    what: () => 'What Unfold could read does not match the kernel\'s own counters, or parts of the compressor could not be read.',
    advice: 'See the consistency table and the problems listed with the case; the pages shown are still exact.',
  },
  INTERNAL: {
    title: 'Something went wrong inside Unfold',
    what: () => 'An unexpected error stopped the operation.',
    advice: 'Try again; if it persists, report it with the technical details.',
  },
  NO_KERNEL: {
    title: 'No macOS kernel was found in this image',
    what: () => 'Unfold looked for the Darwin kernel (its version banner and page tables) and found no kernel it could use.',
    advice: 'Check that the file is the memory of a Mac, in the format the acquisition tool wrote (not compressed or encrypted by it), and that the copy is complete.',
  },
  NO_SYMBOLS: {
    title: 'No symbol table matches this kernel',
    what: () => 'The kernel was found, but none of the symbol tables Unfold was given (or has built in) describes this exact kernel build.',
    advice: 'Open Symbols… and choose the ISF file made for this kernel (its banner is in the technical details), or a folder that contains it.',
  },
  BAD_SYMBOLS: {
    title: 'The symbol table could not be used',
    what: (d) =>
      d.addressesDoNotFit === true
        ? `The symbol table ${str(d.source) ?? str(d.path) ?? ''} names this kernel's banner, but its addresses do not fit the image, so the KASLR slide and page-table root could not be validated.`
        : 'The symbol file is damaged, is not an ISF (Volatility 3) table, or lacks what Unfold needs.',
    advice: (d) =>
      d.addressesDoNotFit === true
        ? 'The ISF may come from a different build of the same macOS version, or the image may be incomplete or damaged: choose the ISF made from this exact kernel build.'
        : 'Choose another ISF file for this kernel, or regenerate it with dwarf2json from the kernel debug kit.',
  },
  NO_COMPRESSOR: {
    title: 'The memory compressor could not be read',
    what: () => 'The kernel was found, but its VM compressor structures are missing from the image or do not make sense.',
    advice: 'The image may be incomplete around the kernel\'s data. Check the acquisition log; a symbol table for the exact build may help.',
  },
  TRUNCATED_IMAGE: {
    title: 'The image file is cut short',
    what: (d) => {
      const size = num(d.fileSize);
      return `The file ends${size !== null ? ` after ${bytes(size)} (${int(size)} bytes)` : ''}, before the end of the memory it should hold. The copy is probably incomplete.`;
    },
    advice: 'Compare the file\'s size and hash with the acquisition record and copy it again from the original medium.',
  },
  IMAGE_FORMAT: {
    title: 'This file is not a memory image Unfold can read',
    what: (d, m) =>
      num(d.size) === 0
        ? `${str(d.path) ?? 'The file'} is empty (0 bytes): there is no memory in it to read.`
        : 'Its contents do not look like any supported container (raw, LiME, ELF core, Mach-O core, AFF4, VMware), or its header is damaged.' + (m ? ` ${sentence(m)}` : ''),
    advice: (d) =>
      num(d.size) === 0
        ? 'The acquisition or the copy did not finish: copy the image again from the original medium and compare its size and hash with the acquisition record.'
        : 'Check that this is the memory image itself and not a log, a hash list or an archive around it.',
  },
  NOT_PRESENT: {
    title: 'Part of memory the kernel needs is not in the image',
    what: () => 'An address that Unfold had to read falls in a hole of the image (memory the acquisition did not capture).',
    advice: 'Acquire memory again if possible; otherwise what could be read is shown and the rest is listed as unreadable.',
  },
  CORRUPT_STREAM: {
    title: 'A compressed page could not be decoded',
    what: () => 'The stored bytes of this slot are not a valid compressed page.',
    advice: 'The slot is reported as corrupt in the case; the other pages are unaffected.',
  },
  EXISTS: {
    title: 'The export folder already holds files',
    what: () => 'Unfold never overwrites an earlier export unless asked.',
    advice: 'Choose a new or empty folder, or tick "Replace an existing export".',
  },
  WRITE_FAILED: {
    title: 'The export could not be written',
    what: () => 'Writing failed (the disk may be full, or the folder not writable).',
    advice: 'Free space or choose another folder, then export again.',
  },
  PERMISSION: {
    title: 'Permission denied',
    what: () => 'The operating system refused access to the file or folder.',
    advice: 'Check the file\'s permissions, or copy it somewhere you can read it.',
  },
  NOT_FOUND: {
    title: 'Not found',
    what: (d, m) => {
      const seg = num(d.segment);
      if (seg !== null && num(d.slot) !== null) return `Segment ${seg} has no live slot ${String(d.slot)}.`;
      if (seg !== null) return `There is no segment ${seg}${num(d.segments) !== null ? `: the case has ${String(d.segments)} segments` : ''}.`;
      return m ? `Not found: ${sentence(m)}` : 'There is no such file, folder, segment or slot.';
    },
    advice: (d) =>
      num(d.segment) !== null
        ? 'Choose a segment and slot listed in the Segments view.'
        : str(d.path)
          ? 'Check the path (it must be the full path, starting at the root).'
          : 'Check what was asked for and try again.',
  },
  BAD_QUERY: {
    title: 'The search pattern is not valid',
    what: (d) => (typeof d.reason === 'string' ? badPattern(d) : 'One of the patterns cannot be searched for.'),
    advice: (d) =>
      d.type === 'yara' ? 'Correct the rule at the line and column shown and search again.' : d.type === 'query' ? 'Correct the search and try again.' : 'Correct this pattern and search again.',
  },
  BAD_ARGUMENT: {
    title: 'The request was refused',
    what: (d, m) => (m ? `Refused: ${sentence(m)}` : 'Unfold refused a request with a missing or malformed value.'),
    advice: 'Correct the value named above and try again.',
  },
  CANCELLED: {
    title: 'Cancelled',
    what: () => 'The operation was stopped before it finished.',
    advice: 'Start it again when ready.',
  },
  NO_CASE: {
    title: 'No case is open',
    what: () => 'The case this view showed has been closed.',
    advice: 'Open the image again.',
  },
  STALE_CASE: {
    title: 'Another case was opened meanwhile',
    what: () => 'This view belonged to a case that has since been replaced.',
    advice: 'The views now show the newly opened case.',
  },
  BUSY: {
    title: 'Unfold is busy',
    what: () => 'The same kind of operation is already running.',
    advice: 'Wait for it to finish, or cancel it first.',
  },
  NO_DIALOGS: {
    title: 'File dialogs are not available here',
    what: () => 'In browser mode the browser cannot give Unfold a file\'s path.',
    advice: 'Type the full path of the file into the field instead.',
  },
  NOT_GRANTED: {
    title: 'Unfold will not replace that',
    what: () => 'Something already exists under that name, and it was not chosen or written in this session.',
    advice: 'Choose a new name (or, in the desktop app, pick the existing one with Choose… to replace it).',
  },
  WORKER_FAILED: {
    title: 'The analysis engine stopped',
    what: () => 'The background worker that reads the image stopped unexpectedly.',
    advice: 'Open the image again; if it happens again, report it with the technical details.',
  },
  DISCONNECTED: {
    title: 'Lost the connection to Unfold',
    what: () => 'The browser-mode server does not answer. It may have been stopped.',
    advice: 'Start it again with npm start and open the new URL it prints.',
  },
  FORBIDDEN: {
    title: 'The Unfold server refused this page',
    what: () => 'The page does not carry the server\'s token (each start of the server makes a new one).',
    advice: 'Open the full URL that npm start printed, including ?token=…, in this tab (the token is kept for this tab only).',
  },
};

const FALLBACK: Wording = {
  title: 'Something went wrong inside Unfold',
  what: () => 'An unexpected error stopped the operation.',
  advice: 'Try again; if it persists, report it with the technical details.',
};

/** saving a hit list: the same codes, worded for one file */
const SAVE_WORDS: Record<string, Wording> = {
  EXISTS: {
    title: 'A file of that name already exists',
    what: () => 'Unfold never overwrites a file unless asked.',
    advice: 'Choose a new file name, or tick "Replace an existing file".',
  },
  WRITE_FAILED: {
    title: 'The hit list could not be written',
    what: () => 'Writing failed (the disk may be full, or the folder not writable).',
    advice: 'Free space or choose another folder, then save again.',
  },
  NOT_FOUND: {
    title: 'Not found',
    what: () => 'The folder does not exist, or the hits of this search are no longer kept (only the last search\'s are).',
    advice: 'Check the path (it must be the full path, starting at the root), or search again.',
  },
};

/** exporting (pages, or a process dump): the folder that would hold the new one is missing or not a folder */
const EXPORT_WORDS: Record<string, Wording> = {
  NOT_FOUND: {
    title: 'The export folder cannot be made there',
    what: (d, m) =>
      d.absent === true
        ? `The folder ${str(d.path) ?? ''} does not exist, so the export folder cannot be made in it.`
        : d.notFolder === true
          ? `${str(d.path) ?? 'The path'} is not a folder, so the export folder cannot be made in it.`
          : `Not found: ${sentence(m)}`,
    advice: (d) => (d.absent === true ? 'Create that folder first, or choose an output folder inside one that exists.' : 'Choose an output folder inside an existing folder.'),
  },
};

/** saving a list: the folder that would hold the file is missing or not a folder */
const SAVE_FOLDER_WORDS: Record<string, Wording> = {
  NOT_FOUND: {
    title: 'The file cannot be made there',
    what: (d, m) =>
      d.absent === true
        ? `The folder ${str(d.path) ?? ''} does not exist, so the file cannot be made in it.`
        : d.notFolder === true
          ? `${str(d.path) ?? 'The path'} is not a folder, so the file cannot be made in it.`
          : `Not found: ${sentence(m)}`,
    advice: (d) => (d.absent === true ? 'Create that folder first, or choose a file in a folder that exists.' : 'Choose a file inside an existing folder.'),
  },
};

/** whether a code has its own words (not the generic fallback) */
export function hasWords(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(WORDS, code);
}

/** the image's own notes (core attaches them to discovery errors) */
const notesOf = (d: Record<string, unknown>): string[] => (Array.isArray(d.notes) ? d.notes.filter((n): n is string => typeof n === 'string') : []);

/** refusals of a save made before any file is opened */
const SAVE_REFUSALS = new Set(['NOT_FOUND', 'BAD_ARGUMENT', 'NOT_GRANTED', 'BUSY', 'NO_CASE', 'STALE_CASE']);

/** codes that can stop an export from outside core's writer (a crash, a lost connection): whether writing had begun is unknown */
const EXPORT_UNKNOWN = new Set(['INTERNAL', 'WORKER_FAILED', 'DISCONNECTED']);

/**
 * What an export that stopped left behind, and only that. Core's writer marks an error that came after
 * it had begun (details `partial`, and `leftover` when the folder it wrote in could not be removed);
 * any other refusal (the folder in the way, a folder that does not exist, a bad value, a slot the case
 * lacks) came before anything was written.
 */
function exportRecovered(code: string, d: Record<string, unknown>): string {
  const leftover = str(d.leftover);
  if (leftover) return `Nothing was left under the final name, but what was written so far could not be removed: it is in ${leftover}.`;
  if (d.partial === true) {
    return code === 'EXISTS'
      ? 'What was written so far was removed; the folder that appeared meanwhile is untouched.'
      : 'Nothing was left under the final name; what was written so far was removed.';
  }
  if (EXPORT_UNKNOWN.has(code)) return 'Nothing was left under the final name. If writing had begun, what was written may remain beside it, in a folder of the same name followed by ".partial-" and a random code.';
  return code === 'EXISTS' ? 'Nothing was written; the existing folder is untouched.' : 'Nothing was written.';
}

/**
 * `kept`: for a search or strings run, how many items were listed before the stop (what is said to be
 * kept is only said when there is something to keep).
 */
export function explain(error: ApiError, context: ErrorContext, hadCase: boolean, kept = 0): Explained {
  const d = error.details ?? {};
  // a folder that is missing or not a folder, named by the handler's check: said as exactly that
  const badFolder = d.absent === true || d.notFolder === true;
  const special = context === 'save' ? (badFolder ? SAVE_FOLDER_WORDS[error.code] : undefined) ?? SAVE_WORDS[error.code] : context === 'export' && badFolder ? EXPORT_WORDS[error.code] : undefined;
  let w = special ?? (WORDS as Record<string, Wording>)[error.code] ?? FALLBACK;
  // A cut-short file is the cause, whatever failed because of it (no kernel, symbols that do not fit):
  // say that first, and the consequence after.
  const cut = error.code === 'TRUNCATED_IMAGE' ? null : notesOf(d).find((n) => /truncated|cut short/i.test(n));
  if (cut) {
    const size = /\((\d+) bytes\)/.exec(cut)?.[1];
    const t = WORDS.TRUNCATED_IMAGE!;
    const consequence = w.title.charAt(0).toLowerCase() + w.title.slice(1);
    w = { title: t.title, what: () => `${t.what(size ? { fileSize: Number(size) } : {}, '')} Because of that, ${consequence}.`, advice: t.advice };
  }
  let recovered: string;
  switch (context) {
    case 'open':
      recovered = hadCase ? 'Nothing was changed: the case that was open before is still open.' : 'No case was opened; the image file was only read, never written.';
      break;
    case 'export':
      recovered = exportRecovered(error.code, d);
      break;
    case 'search':
    case 'strings': {
      const what = context === 'search' ? (kept === 1 ? 'hit' : 'hits') : kept === 1 ? 'string' : 'strings';
      if (kept > 0) recovered = kept === 1 ? `The ${what} found before the stop is kept in the list.` : `The ${int(kept)} ${what} found before the stop are kept in the list.`;
      else recovered = error.code === 'BAD_QUERY' || error.code === 'BAD_ARGUMENT' ? 'Nothing was searched; no page was read.' : '';
      break;
    }
    case 'save':
      recovered =
        error.code === 'EXISTS'
          ? 'Nothing was written; the existing file is untouched.'
          : badFolder || SAVE_REFUSALS.has(error.code)
            ? 'Nothing was written; the list is unchanged.'
            : 'Nothing was left under the file\'s name; the list is unchanged.';
      break;
    case 'page':
      recovered = 'The rest of the case is unaffected.';
      break;
    default:
      recovered = '';
  }
  const notes = notesOf(d);
  const technical = `${error.code}: ${error.message}` + (notes.length && !error.message.includes(notes[0]!) ? `\nImage notes: ${notes.join('; ')}` : '');
  const advice = typeof w.advice === 'function' ? w.advice(d) : w.advice;
  // a multi-line engine report (YARA-X's pointer under the column at fault) is shown as it is
  const reason = str(d.reason);
  const excerpt = error.code === 'BAD_QUERY' && reason && reason.includes('\n') ? reason : undefined;
  return { code: error.code, title: w.title, what: w.what(d, error.message), advice, recovered, technical, ...(excerpt ? { excerpt } : {}) };
}
