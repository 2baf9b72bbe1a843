// The packaging config (electron-builder.json): Linux, macOS and Windows targets, Electron's fuses set
// so that a shipped app cannot be turned into a plain Node runtime, debugged through NODE_OPTIONS or
// --inspect, or made to run code from outside its integrity-checked app.asar; and the whole config is
// what electron-builder itself accepts (its own schema validation, the step it runs before building).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const config = JSON.parse(readFileSync('electron-builder.json', 'utf8')) as Record<string, unknown> & {
  electronFuses: Record<string, boolean>;
  linux: { target: { target: string; arch: string[] }[] };
  mac: { target: { target: string; arch: string[] }[] };
  win: { target: { target: string; arch: string[] }[] };
  files: string[];
  asar: boolean;
};

const require = createRequire(import.meta.url);
type Validate = (config: unknown, logger: unknown) => Promise<void>;
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration: Validate };
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
const validate = (c: unknown) => validateConfiguration(c, new DebugLogger(false));

describe('electron-builder config', () => {
  it('sets the fuses: no run-as-node, no NODE_OPTIONS, no --inspect, only an integrity-checked asar, encrypted cookies', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
    expect(config.asar).toBe(true);
    // N-API modules load in Electron as built; @electron/rebuild (which wants Node 22) is not needed
    expect(config.npmRebuild).toBe(false);
  });

  it('builds for Linux, macOS (Apple silicon and Intel) and Windows (x64 and arm64)', () => {
    const targets = (p: { target: { target: string; arch: string[] }[] }) => p.target.map((t) => `${t.target}:${t.arch.join('+')}`);
    expect(targets(config.linux)).toEqual(['AppImage:x64+arm64', 'deb:x64+arm64', 'tar.gz:x64+arm64']);
    expect(targets(config.mac)).toEqual(['dmg:arm64+x64', 'zip:arm64+x64']);
    expect(targets(config.win)).toEqual(['nsis:x64+arm64', 'zip:x64+arm64']);
  });

  it('packs the built app only, not the sources, tests or source maps', () => {
    expect(config.files.slice(0, 3)).toEqual(['out/**', 'package.json', '!**/*.map']);
    expect(config.files.some((f) => /^(core|main|test|renderer)\b/.test(f))).toBe(false);
  });

  it("passes electron-builder's own validation, which does catch a misspelt fuse", async () => {
    await expect(validate(config)).resolves.toBeUndefined();
    await expect(validate({ ...config, electronFuses: { ...config.electronFuses, runAsnode: false } })).rejects.toThrow(/configuration\.electronFuses/);
  });
});
