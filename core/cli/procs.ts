// The process commands of `unfold` (issue 11): procs, maps, procdump, vread. Each opens the case
// through the façade (the process walk runs with the compressor walk) and prints what it asks for.
// Contracts (README "Command line"): `procs --json` one line per process with pid, ppid, name, task,
// map and page counts by state; `maps --json` one line per region with start, end (exclusive),
// protection and page counts; procdump files named as Volatility 3 names them; vread raw bytes.
import type { Case } from '../case';
import { OptionError } from '../errors';
import { cliWords, threadsOption, wholeNumberOption, withCase } from './commands';
import { EXIT, type CliIo } from './io';

interface Opts {
  symbols?: string;
  swap?: string[];
  threads?: string;
  json?: boolean;
}

const out = (io: CliIo, s: string) => io.stdout.write(s + '\n');

/** the case's process-walk problems, one line each on stderr */
function reportProcessProblems(c: Case, io: CliIo): void {
  for (const p of c.info.processes?.problems ?? []) io.stderr.write(`unfold: process walk: ${p}\n`);
}

/** a pid the walk did not find: said on stderr, exit 2 */
function knownPid(c: Case, pid: number, io: CliIo): boolean {
  if (c.processes().some((p) => p.pid === pid)) return true;
  io.stderr.write(`unfold: no process with pid ${pid} in this image (see unfold procs)\n`);
  return false;
}

function pidOption(v: string): number {
  return wholeNumberOption('--pid', v, 0, 0x7fffffff);
}

function hexOption(name: string, v: string): bigint {
  const t = String(v).trim();
  if (!/^(0x)?[0-9a-f]{1,16}$/i.test(t)) throw new OptionError(name, `${name} must be a hexadecimal address (e.g. 0x7ff812340000), got "${v}"`);
  return BigInt(t.toLowerCase().startsWith('0x') ? t : '0x' + t);
}

export async function procsCommand(image: string, o: Opts, io: CliIo): Promise<number> {
  threadsOption(o);
  return withCase(image, o, io, async (c) => {
    reportProcessProblems(c, io);
    const ps = c.processes();
    if (o.json) {
      for (const p of ps) out(io, JSON.stringify({ pid: p.pid, ppid: p.ppid, name: p.name, pName: p.pName, proc: p.proc, task: p.task, map: p.map, pmap: p.pmap, pmapRoot: p.pmapRoot, regions: p.regions, pages: p.pages }));
      return EXIT.ok;
    }
    out(io, 'PID\tPPID\tNAME\tTASK\tREGIONS\tRESIDENT\tCOMPRESSED\tSINGLE\tSWAPPED\tABSENT');
    for (const p of ps) {
      const g = p.pages;
      out(io, `${p.pid}\t${p.ppid}\t${p.pName !== p.name && p.pName.startsWith(p.name) ? p.pName : p.name}\t${p.task}\t${p.regions}\t${g.resident}\t${g.compressed}\t${g.single}\t${g.swapped}\t${g.absent}`);
    }
    return EXIT.ok;
  });
}

export async function mapsCommand(image: string, o: Opts & { pid: string }, io: CliIo): Promise<number> {
  threadsOption(o);
  const pid = pidOption(o.pid);
  return withCase(image, o, io, async (c) => {
    reportProcessProblems(c, io);
    if (!knownPid(c, pid, io)) return EXIT.badData;
    for (const r of c.maps(pid)) {
      if (o.json) out(io, JSON.stringify(r));
      else {
        const g = r.pages;
        out(io, `${r.start}-${r.end}\t${r.protection}/${r.maxProtection}\ttag ${r.tag}\t${r.object ?? (r.submap ? 'submap ' + r.submap : '-')}\tres ${g.resident} cmp ${g.compressed} sv ${g.single} swp ${g.swapped} abs ${g.absent}`);
      }
    }
    return EXIT.ok;
  });
}

export async function procdumpCommand(image: string, o: Opts & { pid: string; out: string; overwrite?: boolean }, io: CliIo): Promise<number> {
  threadsOption(o);
  const pid = pidOption(o.pid);
  // refuse before the walk when the output folder is in the way (or is the evidence)
  const { assertOutputFree } = await import('../export/atomic');
  await cliWords(async () => assertOutputFree(o.out, Boolean(o.overwrite), [image]));
  return withCase(image, o, io, async (c) => {
    reportProcessProblems(c, io);
    if (!knownPid(c, pid, io)) return EXIT.badData;
    const { dumpProcess } = await import('../export/procdump');
    const imageSha256 = await c.imageSha256();
    const r = await cliWords(() =>
      dumpProcess(c.processView(), (p, va, n) => c.readVirtual(p, va, n), { pid, out: o.out, overwrite: Boolean(o.overwrite), evidence: [image, ...c.image.files], imagePath: c.image.path, imageSha256 }),
    );
    if (o.json) out(io, JSON.stringify(r));
    else {
      out(io, `dumped pid ${r.pid} (${r.name}): ${r.files.length} region file(s) to ${r.out} (manifest SHA-256 ${r.manifestSha256})`);
      out(io, `  pages: ${Object.entries(r.pages).map(([k, v]) => `${k} ${v}`).join(', ')}; ${r.zeroFilled} zero-filled`);
    }
    return EXIT.ok;
  });
}

export async function vreadCommand(image: string, o: Opts & { pid: string; va: string; length: string; output?: string; overwrite?: boolean }, io: CliIo): Promise<number> {
  threadsOption(o);
  const pid = pidOption(o.pid);
  const va = hexOption('--va', o.va);
  const length = wholeNumberOption('--length', o.length, 1, 1 << 30);
  if (!o.output && (io.stdout as NodeJS.WriteStream).isTTY === true) {
    throw new OptionError('--output', 'refusing to write process memory to the terminal: give -o FILE, or pipe it (e.g. | xxd)');
  }
  return withCase(image, o, io, async (c) => {
    reportProcessProblems(c, io);
    if (!knownPid(c, pid, io)) return EXIT.badData;
    const r = c.readVirtual(pid, va, length);
    for (const m of r.missing) io.stderr.write(`unfold: zero-filled ${m}\n`);
    if (o.output) {
      const { writeFileAtomic } = await import('../export/atomic');
      await cliWords(() => writeFileAtomic(o.output!, r.bytes, { overwrite: Boolean(o.overwrite) }), '--overwrite replaces it');
    } else await new Promise<void>((resolve, reject) => io.stdout.write(r.bytes, (e) => (e ? reject(e) : resolve())));
    return EXIT.ok;
  });
}
