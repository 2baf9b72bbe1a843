// The process commands' options (issue 11), registered on the command line from main.ts with one call.
import type { Command } from 'commander';
import type { CliIo } from './io';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const SWAP_HELP = 'swap file(s) copied from the Mac, or a folder of them (repeatable): swapped pages are read from them';

export function registerProcessCommands(program: Command, done: (code: number) => void, io: CliIo): void {
  program
    .command('procs')
    .description('every process (allproc): pid, parent, name, task, map and its pages by state (JSON lines with --json)')
    .argument('<image>')
    .option('--symbols <isf>', 'ISF file or folder (must have the process and VM types)')
    .option('--swap <file-or-folder>', SWAP_HELP, collect)
    .option('--json', 'JSON lines, one per process')
    .option('--threads <n>', 'decode threads')
    .action(async (image: string, o: { symbols?: string; swap?: string[]; json?: boolean; threads?: string }) => {
      const { procsCommand } = await import('./procs');
      done(await procsCommand(image, o, io));
    });

  program
    .command('maps')
    .description("a process's regions: start, end (exclusive), protection, object, pages by state (JSON lines with --json)")
    .argument('<image>')
    .option('--symbols <isf>', 'ISF file or folder')
    .option('--swap <file-or-folder>', SWAP_HELP, collect)
    .requiredOption('--pid <n>', 'process id')
    .option('--json', 'JSON lines, one per region')
    .option('--threads <n>', 'decode threads')
    .action(async (image: string, o: { symbols?: string; swap?: string[]; pid: string; json?: boolean; threads?: string }) => {
      const { mapsCommand } = await import('./procs');
      done(await mapsCommand(image, o, io));
    });

  program
    .command('procdump')
    .description("a process's memory, one file per region (pid.<pid>.vma.<start>-<end>.dmp), compressed pages decompressed, swapped ones read from --swap files, the rest zero-filled; manifest.json with every page's source and every file's SHA-256")
    .argument('<image>')
    .option('--symbols <isf>', 'ISF file or folder')
    .option('--swap <file-or-folder>', SWAP_HELP, collect)
    .requiredOption('--pid <n>', 'process id')
    .requiredOption('--out <dir>', 'output folder (must not exist or be empty)')
    .option('--overwrite', 'replace an earlier Unfold export folder')
    .option('--json', 'print the result as JSON')
    .option('--threads <n>', 'decode threads')
    .action(async (image: string, o: { symbols?: string; swap?: string[]; pid: string; out: string; overwrite?: boolean; json?: boolean; threads?: string }) => {
      const { procdumpCommand } = await import('./procs');
      done(await procdumpCommand(image, o, io));
    });

  program
    .command('vread')
    .description("bytes of a process's virtual memory to stdout (compressed pages decompressed, swapped ones read from --swap files; what cannot be had zero-filled and named on stderr)")
    .argument('<image>')
    .option('--symbols <isf>', 'ISF file or folder')
    .option('--swap <file-or-folder>', SWAP_HELP, collect)
    .requiredOption('--pid <n>', 'process id')
    .requiredOption('--va <hex>', 'start address')
    .requiredOption('--length <n>', 'bytes to read')
    .option('-o, --output <file>', 'write to this new file instead of stdout')
    .option('--overwrite', 'with -o: replace an existing file')
    .option('--threads <n>', 'decode threads')
    .action(async (image: string, o: { symbols?: string; swap?: string[]; pid: string; va: string; length: string; output?: string; overwrite?: boolean; threads?: string }) => {
      const { vreadCommand } = await import('./procs');
      done(await vreadCommand(image, o, io));
    });
}
