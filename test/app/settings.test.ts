// What the app remembers between runs: the recent cases list in the settings file (newest first, one
// entry per image, at most MAX_RECENT_CASES, damaged entries ignored) and the symbol folder beside it.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_RECENT_CASES, fileSettings, memorySettings } from '../../main/settings';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'unfold-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('recent cases', () => {
  it('keeps the newest first, one per image, and survives a new settings object (a restart)', () => {
    const file = path.join(dir, 'sub', 'settings.json');
    const s = fileSettings(file);
    expect(s.recentCases()).toEqual([]);
    s.rememberCase({ imagePath: '/cases/a.raw', symbolsPath: '/isf/a.json' });
    s.rememberCase({ imagePath: '/cases/b.raw' });
    s.rememberCase({ imagePath: '/cases/a.raw', symbolsPath: '/isf/a2.json' });
    const again = fileSettings(file);
    expect(again.recentCases()).toEqual([{ imagePath: '/cases/a.raw', symbolsPath: '/isf/a2.json' }, { imagePath: '/cases/b.raw' }]);
    // written by rename: no temporary file is left beside it
    expect(readdirSync(path.dirname(file))).toEqual(['settings.json']);
  });

  it('keeps the remembered symbol folder when a case is remembered, and the cases when the folder is', () => {
    const file = path.join(dir, 'settings.json');
    const isf = path.join(dir, 'k.json');
    writeFileSync(isf, '{}');
    const s = fileSettings(file);
    s.rememberCase({ imagePath: '/cases/a.raw', symbolsPath: isf });
    s.rememberSymbols(isf);
    expect(s.recentSymbols()).toBe(dir);
    expect(s.recentCases()).toEqual([{ imagePath: '/cases/a.raw', symbolsPath: isf }]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ recentCases: [{ imagePath: '/cases/a.raw', symbolsPath: isf }], recentSymbols: dir });
  });

  it(`stops at ${MAX_RECENT_CASES}, and ignores what a damaged file holds`, () => {
    const file = path.join(dir, 'settings.json');
    const s = fileSettings(file);
    for (let i = 0; i < MAX_RECENT_CASES + 3; i++) s.rememberCase({ imagePath: `/cases/${i}.raw` });
    const list = s.recentCases();
    expect(list).toHaveLength(MAX_RECENT_CASES);
    expect(list[0]).toEqual({ imagePath: `/cases/${MAX_RECENT_CASES + 2}.raw` });
    expect(list.at(-1)).toEqual({ imagePath: '/cases/3.raw' });

    writeFileSync(file, JSON.stringify({ recentCases: [{ imagePath: 'relative.raw' }, 7, { imagePath: '/ok.raw', symbolsPath: 3 }, { imagePath: '/ok.raw' }] }));
    expect(s.recentCases()).toEqual([{ imagePath: '/ok.raw' }]);
    writeFileSync(file, '{ not json');
    expect(s.recentCases()).toEqual([]);
    s.rememberCase({ imagePath: '/new.raw' });
    expect(s.recentCases()).toEqual([{ imagePath: '/new.raw' }]);
  });

  it('in memory: the same rules', () => {
    const s = memorySettings();
    s.rememberCase({ imagePath: '/a.raw' });
    s.rememberCase({ imagePath: '/b.raw', symbolsPath: '/b.json' });
    s.rememberCase({ imagePath: '/a.raw' });
    expect(s.recentCases()).toEqual([{ imagePath: '/a.raw' }, { imagePath: '/b.raw', symbolsPath: '/b.json' }]);
  });
});
