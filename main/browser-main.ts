// Browser mode as a program: the case host, the handlers and the loopback server, wired together.
// `npm start` runs this where no Electron binary exists; the end-to-end tests start it too.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { CaseHost, defaultWorkerSpec } from './case-host';
import { createHandlers } from './handlers';
import { EventHub, startBrowserServer, type BrowserServer } from './browser-server';
import { fileSettings } from './settings';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..');

export interface BrowserModeOptions {
  port?: number;
  token?: string;
  rendererDir?: string;
  /** where the remembered symbol folder is kept */
  settingsFile?: string;
  threads?: number;
  /** what the first page opens: an image (npm start <image>) or the demo case */
  startup?: { imagePath: string; symbolsPath?: string } | 'demo' | null;
}

export interface BrowserMode extends BrowserServer {
  host: CaseHost;
}

function appVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function defaultSettingsFile(): string {
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'unfold', 'settings.json');
}

export async function startBrowserMode(opts: BrowserModeOptions = {}): Promise<BrowserMode> {
  const events = new EventHub();
  const host = new CaseHost(defaultWorkerSpec({ threads: opts.threads }), events.emit);
  const handlers = createHandlers({
    host,
    mode: 'browser',
    appVersion: appVersion(),
    dialogs: null,
    settings: fileSettings(opts.settingsFile ?? defaultSettingsFile()),
    startup: opts.startup ?? null,
  });
  const server = await startBrowserServer({
    handlers,
    events,
    rendererDir: opts.rendererDir ?? path.join(repoRoot, 'out', 'renderer'),
    token: opts.token,
    port: opts.port,
  });
  return {
    ...server,
    host,
    close: async () => {
      await server.close();
      await host.dispose();
    },
  };
}
