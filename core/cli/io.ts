// What every CLI command shares: where it writes and the exit statuses it returns. Kept apart from
// main.ts (the argument parser) so commands never import the module that imports them.
export { EXIT } from './exit-status';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function writeLine(io: CliIo, obj: unknown): void {
  io.stdout.write(JSON.stringify(obj) + '\n');
}
