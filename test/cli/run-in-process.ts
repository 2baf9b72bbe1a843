// Runs the `unfold` CLI in this process, as a test needs it: the exit status, and what it wrote to
// stdout (as text, or as bytes for binary output such as `page`) and to stderr.
import { PassThrough } from 'node:stream';
import { main } from '../../core/cli/main';

export interface CliBytesRun {
  code: number;
  out: Buffer;
  err: string;
}
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCliBytes(args: string[]): Promise<CliBytesRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  stdout.on('data', (d: Buffer) => o.push(d));
  stderr.on('data', (d: Buffer) => e.push(d));
  const code = await main(args, { stdout, stderr });
  return { code, out: Buffer.concat(o), err: Buffer.concat(e).toString('utf8') };
}

export async function runCli(args: string[]): Promise<CliRun> {
  const r = await runCliBytes(args);
  return { ...r, out: r.out.toString('utf8') };
}
