// Progress of a long run reaches stderr when it is not a terminal too (a log, a script reading --json):
// nothing for the first 3 s, then at most one line every 5 s, as JSON with --json.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { PassThrough } from 'node:stream';
import { progressPrinter } from '../../core/cli/commands';

function sink(tty: boolean) {
  const stderr = new PassThrough();
  if (tty) (stderr as unknown as { isTTY: boolean }).isTTY = true;
  const chunks: string[] = [];
  stderr.on('data', (d: Buffer) => chunks.push(d.toString('utf8')));
  return { io: { stdout: new PassThrough(), stderr }, chunks };
}

afterEach(() => vi.useRealTimers());

describe('progress on stderr', () => {
  it('with --json and no terminal: JSON lines, the first after 3 s, then one per 5 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const { io, chunks } = sink(false);
    const p = progressPrinter(io, true);
    p({ phase: 'discover', done: 1, total: 100, message: 'searching for the kernel banner' });
    vi.setSystemTime(1_002_000);
    p({ phase: 'discover', done: 2, total: 100 });
    vi.setSystemTime(1_003_500);
    p({ phase: 'discover', done: 30, total: 100, message: 'searching for the kernel banner' });
    vi.setSystemTime(1_006_000);
    p({ phase: 'discover', done: 40, total: 100 });
    vi.setSystemTime(1_009_000);
    p({ phase: 'decode', done: 3, total: 7 });
    vi.setSystemTime(1_020_000);
    p({ phase: 'decode', done: 7, total: 7 });
    await new Promise((r) => setImmediate(r));
    expect(chunks.join('')).toBe(
      '{"progress":{"phase":"discover","done":30,"total":100,"message":"searching for the kernel banner"}}\n' + '{"progress":{"phase":"decode","done":3,"total":7}}\n',
    );
  });

  it('without --json and no terminal: plain lines with a percentage', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(0);
    const { io, chunks } = sink(false);
    const p = progressPrinter(io, false);
    p({ phase: 'open', done: 0, total: 1 });
    vi.setSystemTime(4000);
    p({ phase: 'discover', done: 25, total: 200 });
    await new Promise((r) => setImmediate(r));
    expect(chunks.join('')).toBe('unfold: discover 12% (25/200)\n');
  });

  it('on a terminal: one line rewritten in place, cleared at the end', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(0);
    const { io, chunks } = sink(true);
    const p = progressPrinter(io, true);
    p({ phase: 'decode', done: 1, total: 2 });
    vi.setSystemTime(300);
    p({ phase: 'decode', done: 2, total: 2 });
    await new Promise((r) => setImmediate(r));
    expect(chunks.join('')).toBe('\rdecode 1/2\x1b[K\rdecode 2/2\x1b[K\r\x1b[K');
  });
});
