// A display for the desktop-app test: the current one, or on Linux without one a fresh Xvfb (which
// .ci/run installs), started with -displayfd so it picks a free display number itself.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export async function display(): Promise<{ env: Record<string, string>; stop(): void } | string> {
  if (process.platform !== 'linux' || process.env.DISPLAY) return { env: {}, stop: () => undefined };
  if (spawnSync('sh', ['-c', 'command -v Xvfb']).status !== 0) return 'no display and no Xvfb (apt-get install xvfb; .ci/run does)';
  const xvfb: ChildProcess = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1440x900x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const n = await new Promise<string | null>((resolve) => {
    let text = '';
    const fd = xvfb.stdio[3] as NodeJS.ReadableStream;
    fd.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('\n')) resolve(text.trim());
    });
    xvfb.on('exit', () => resolve(null));
    setTimeout(() => resolve(null), 15_000).unref();
  });
  if (n === null || !/^\d+$/.test(n)) {
    xvfb.kill();
    return 'Xvfb did not start';
  }
  return { env: { DISPLAY: `:${n}` }, stop: () => xvfb.kill() };
}
