// The `unfold` command line. Thin: parse arguments, call the façade (core/case.ts) or a codec, print
// text or JSON lines. Exit statuses (core/cli/exit-status.ts, README "Command line"): 0 success,
// 1 unexpected failure, 2 bad data, an unreadable file or a refused write, 3 no kernel / no usable
// symbols, 4 the walk's counts disagree with the kernel's or parts could not be read, 64 usage.
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { UnfoldError, fromErrno } from '../errors';
import { VERSION } from '../version';
import { EXIT_STATUS } from './exit-status';
import { EXIT, type CliIo } from './io';
import { DEFAULT_MIN_LENGTH } from '../search/string-defaults';
import type { ExportOpts } from './commands';

export { EXIT, writeLine, type CliIo } from './io';

/** a file system error as an UnfoldError naming its file (NOT_FOUND, PERMISSION, IO) */
function typed(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException | null;
  if (e && typeof e === 'object' && typeof e.code === 'string' && !(err instanceof UnfoldError)) {
    return fromErrno(err, e.path ?? 'a file', e.syscall === 'open' || e.syscall === undefined ? 'open' : e.syscall);
  }
  return err;
}

export function exitCodeFor(err: unknown): number {
  const e = typed(err);
  if (e instanceof UnfoldError) return EXIT_STATUS[e.code] ?? EXIT.failure;
  return EXIT.failure;
}

/**
 * What an examiner reads on stderr: the message without a stack. A corrupt stream is one line; the
 * discovery errors keep their following lines (banners found, closest symbol tables, image notes).
 */
function describe(err: unknown): string {
  const e = typed(err);
  if (!(e instanceof Error)) return String(e);
  const msg = e.message.trimEnd();
  if (e instanceof UnfoldError && e.code === 'CORRUPT_STREAM') return msg.split('\n')[0]!;
  return msg;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** what to look for: the options of `search`, also taken by `export --hits-of` (one parser, core/cli/commands.ts queryOptions) */
function addQueryOptions(cmd: Command): Command {
  return cmd
    .option('--string <s>', 'literal string (repeatable)', collect)
    .option('--regex <r>', 'regular expression (repeatable)', collect)
    .option('--hex <h>', 'hex bytes with ?? wildcards, e.g. "4d 5a ?? 00" (repeatable)', collect)
    .option('--yara <rules>', 'YARA rules file or folder (repeatable; includes are refused; UNFOLD_YARA_ENGINE=native|wasm picks the engine)', collect)
    .option('--utf16', 'search --string as UTF-16LE (only, unless --ascii is given too)')
    .option('--ascii', 'with --utf16: also search as ASCII/UTF-8')
    .option('--ignore-case', 'case-insensitive strings and regexes');
}

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command();
  program
    .name('unfold')
    .description('Find and decompress macOS compressed memory (the VM compressor) in a Mac memory image.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError(false);

  program
    .command('decode')
    .description('decompress one compressed page (a slot dump) and write the page to stdout')
    .argument('<file>', 'compressed stream (exact length); - reads standard input')
    .addOption(new Option('--codec <codec>', 'stream codec').choices(['wkdm', 'lz4']).default('wkdm'))
    .addOption(new Option('--page-size <bytes>', 'page size').choices(['4096', '16384']).default('4096'))
    .addOption(new Option('--dict-preset <n>', 'WKdm dictionary initial value: 1 for 10.9–10.10, 0 from 10.11').choices(['0', '1']).default('0'))
    .action(async (file: string, o: { codec: 'wkdm' | 'lz4'; pageSize: string; dictPreset: string }) => {
      const { decodeStreamFile } = await import('./decode');
      const page = decodeStreamFile(readFileSync(file === '-' ? 0 : file), {
        codec: o.codec,
        pageSize: Number(o.pageSize) as 4096 | 16384,
        dictPreset: Number(o.dictPreset) as 0 | 1,
      });
      await new Promise<void>((resolve, reject) => io.stdout.write(page, (e) => (e ? reject(e) : resolve())));
    });

  program
    .command('info')
    .description('container, physical ranges, kernel banner, symbols, KASLR slide, page-table root and the compressor summary')
    .argument('<image>', 'memory image (raw, LiME, ELF, Mach-O, AFF4, VMware)')
    .option('--symbols <isf>', 'Volatility 3 ISF file (.json/.json.xz) or a folder of them')
    .option('--swap <file-or-folder>', 'swap file(s) copied from the Mac, or a folder of them (repeatable)', collect)
    .option('--json', 'print one JSON object')
    .option('--threads <n>', 'decode threads (default: all cores)')
    .action(async (image: string, o: { symbols?: string; swap?: string[]; json?: boolean; threads?: string }) => {
      const { infoCommand } = await import('./commands');
      code = await infoCommand(image, o, io);
    });

  program
    .command('slots')
    .description('every live compressed slot with its outcome (JSON lines with --json)')
    .argument('<image>')
    .option('--symbols <isf>', 'ISF file or folder')
    .option('--swap <file-or-folder>', 'swap file(s) copied from the Mac, or a folder of them (repeatable)', collect)
    .option('--json', 'JSON lines, one per live slot')
    .option('--segment <n>', 'only this segment')
    .option('--threads <n>', 'decode threads')
    .action(async (image: string, o: { symbols?: string; json?: boolean; segment?: string; threads?: string }) => {
      const { slotsCommand } = await import('./commands');
      code = await slotsCommand(image, o, io);
    });

  program
    .command('segments')
    .description('every segment of the compressor: state, slots, bytes, swap location, problems (JSON lines with --json)')
    .argument('<image>')
    .option('--symbols <isf>', 'ISF file or folder')
    .option('--swap <file-or-folder>', 'swap file(s) copied from the Mac, or a folder of them (repeatable)', collect)
    .option('--json', 'JSON lines, one per segment')
    .option('--threads <n>', 'decode threads')
    .action(async (image: string, o: { symbols?: string; json?: boolean; threads?: string }) => {
      const { segmentsCommand } = await import('./commands');
      code = await segmentsCommand(image, o, io);
    });

  program
    .command('page')
    .description("write one slot's decompressed page (or, with --compressed, its stored bytes) to stdout")
    .argument('<image>')
    .option('--symbols <isf>', 'ISF file or folder')
    .option('--swap <file-or-folder>', 'swap file(s) copied from the Mac, or a folder of them (repeatable)', collect)
    .requiredOption('--segment <n>', 'segment number')
    .requiredOption('--slot <n>', 'slot number')
    .option('--compressed', "the slot's bytes as stored in the segment buffer")
    .option('-o, --output <file>', 'write the page to this new file instead of stdout')
    .option('--overwrite', 'with -o: replace an existing file')
    .option('--threads <n>', 'decode threads')
    .action(async (image: string, o: { symbols?: string; segment: string; slot: string; compressed?: boolean; output?: string; overwrite?: boolean; threads?: string }) => {
      const { pageCommand } = await import('./commands');
      code = await pageCommand(image, o, io);
    });

  const search = program
    .command('search')
    .description('search every decompressed page for strings, regular expressions, hex patterns and YARA rules')
    .argument('<image>')
    .option('--symbols <isf>', 'ISF file or folder')
    .option('--swap <file-or-folder>', 'swap file(s) copied from the Mac, or a folder of them (repeatable)', collect);
  addQueryOptions(search)
    .option('--context <n>', 'context bytes before and after each hit', '16')
    .option('--json', 'JSON lines, one per hit')
    .option('--csv', "CSV, one row per hit (the app's Save hits columns; cells a spreadsheet would run as formulas start with ')")
    .option('-o, --out <file>', 'with --csv: write the CSV to this new file (atomically) instead of stdout')
    .option('--overwrite', 'with --out: replace an existing file')
    .option('--threads <n>', 'worker threads')
    .action(async (image: string, o: Record<string, unknown>) => {
      const { searchCommand } = await import('./commands');
      code = await searchCommand(image, o, io);
    });

  program
    .command('strings')
    .description('printable strings (ASCII and UTF-16LE) of every decompressed page, with their locations')
    .argument('<image>')
    .option('--symbols <isf>', 'ISF file or folder')
    .option('--swap <file-or-folder>', 'swap file(s) copied from the Mac, or a folder of them (repeatable)', collect)
    .option('--min <n>', 'minimum length', String(DEFAULT_MIN_LENGTH))
    .option('--json', 'JSON lines')
    .option('--threads <n>', 'worker threads')
    .action(async (image: string, o: { symbols?: string; min: string; json?: boolean; threads?: string }) => {
      const { stringsCommand } = await import('./commands');
      code = await stringsCommand(image, o, io);
    });

  const exporting = program
    .command('export')
    .description('export decompressed pages (one file per slot, or one concatenated file with an index) and a manifest with hashes')
    .argument('<image>')
    .option('--symbols <isf>', 'ISF file or folder')
    .option('--swap <file-or-folder>', 'swap file(s) copied from the Mac, or a folder of them (repeatable)', collect)
    .requiredOption('--out <dir>', 'output folder (must not exist or be empty)')
    .addOption(new Option('--layout <layout>', 'slots: segment<N>/slot<M>.dmp; concat: pages.bin + index').choices(['slots', 'concat']).default('slots'))
    .option('--overwrite', 'replace an existing non-empty output folder')
    .option('--segment <n>', 'only the live slots of this segment')
    .option('--slot <n>', 'with --segment: only this slot')
    .option('--hits-of', 'only the pages holding hits of the search given with --string, --regex, --hex, --yara (as unfold search takes them)')
    .option('--json', 'print the result as JSON')
    .option('--threads <n>', 'worker threads');
  addQueryOptions(exporting).action(async (image: string, o: ExportOpts) => {
    const { exportCommand } = await import('./commands');
    code = await exportCommand(image, o, io);
  });

  const { registerProcessCommands } = await import('./procs-register');
  registerProcessCommands(program, (c) => (code = c), io);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof UnfoldError && err.code === 'BAD_OPTION') {
      io.stderr.write(`unfold: ${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`unfold: ${describe(err)}\n`);
    return exitCodeFor(err);
  }
  return code;
}

