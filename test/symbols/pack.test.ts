import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xz } from '@napi-rs/lzma';
import { DiscoveryError } from '../../core/errors';
import { chooseSymbols, closestBanners, indexSymbols, peekVersionSymbol } from '../../core/symbols/pack';
import { bannerConstantData, emptyIsf, isfToJson } from '../../core/synth/isf';
import { sampleBanner } from '../../core/synth/kernel';

function isfFor(banner: string, version: bigint): string {
  const isf = emptyIsf();
  // a user type with a field named "version" must not be taken for the symbol
  isf.user_types['mach_header'] = { kind: 'struct', size: 8, fields: { version: { offset: 0, type: { kind: 'base', name: 'int' } } } };
  isf.symbols['version'] = { address: version, type: { kind: 'array', count: banner.length + 1, subtype: { kind: 'base', name: 'char' } }, constant_data: bannerConstantData(banner) };
  isf.symbols['version_major'] = { address: version + 0x100n };
  return isfToJson(isf, 2);
}

const B17 = sampleBanner(17);
const B18 = sampleBanner(18);
const B19 = sampleBanner(19);
const B22ARM = sampleBanner(22, 'T8103');

describe('symbol packs', () => {
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'unfold-pack-'));
    mkdirSync(join(dir, 'macOS', '10.14'), { recursive: true });
    writeFileSync(join(dir, 'k17.json'), isfFor(B17, 0xffffff8000af2d01n));
    writeFileSync(join(dir, 'macOS', '10.14', 'k18.json.xz'), await xz.compress(Buffer.from(isfFor(B18, 0xffffff8000b3c0a1n))));
    writeFileSync(join(dir, 'k22-arm.json'), isfFor(B22ARM, 0xfffffe0007a2c001n));
    writeFileSync(join(dir, 'README.txt'), 'not an ISF');
    writeFileSync(join(dir, 'broken.json'), '{');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('indexes every ISF in the folder tree by banner, with the exact version address', async () => {
    const idx = await indexSymbols(dir);
    const byName = Object.fromEntries(idx.map((e) => [e.path.slice(dir.length + 1), e]));
    expect(Object.keys(byName).sort()).toEqual(['broken.json', 'k17.json', 'k22-arm.json', 'macOS/10.14/k18.json.xz']);
    expect(byName['k17.json']!.banner).toBe(B17);
    expect(byName['k17.json']!.versionAddress).toBe(0xffffff8000af2d01n);
    expect(byName['macOS/10.14/k18.json.xz']!.banner).toBe(B18);
    expect(byName['macOS/10.14/k18.json.xz']!.versionAddress).toBe(0xffffff8000b3c0a1n);
    expect(byName['broken.json']!.banner).toBeNull();
  });

  it('picks the ISF matching a banner found in the image', async () => {
    const c = await chooseSymbols(dir, ['Darwin Kernel Version 99.0.0: nothing', B18]);
    expect(c.source).toBe(join(dir, 'macOS', '10.14', 'k18.json.xz'));
    expect(c.banner).toBe(B18);
    expect(c.table.symbolAddress('version')).toBe(0xffffff8000b3c0a1n);
    expect(c.table.banner).toBe(B18);
  });

  it('accepts a single ISF file', async () => {
    const c = await chooseSymbols(join(dir, 'k17.json'), [B17]);
    expect(c.table.banner).toBe(B17);
  });

  it('says which banner was found and which ISF banners are closest when none matches', async () => {
    let err: DiscoveryError | undefined;
    try {
      await chooseSymbols(dir, [B19]);
    } catch (e) {
      err = e as DiscoveryError;
    }
    expect(err).toBeInstanceOf(DiscoveryError);
    expect(err!.code).toBe('NO_SYMBOLS');
    expect(err!.message).toContain(`Kernel banner(s) found in the image:\n  ${B19}`);
    // 18.x is nearer to 19.x than 17.x; the arm64 kernel is last
    expect(err!.details['closest']).toEqual([B18, B17, B22ARM]);
    expect(err!.message).toContain(`Closest ISF banners:\n  ${B18}  [${join(dir, 'macOS', '10.14', 'k18.json.xz')}]`);
    expect(err!.message).toMatch(/\(4 ISF files\)/);
  });

  it('a single non-matching file is refused with its banner as the closest', async () => {
    await expect(chooseSymbols(join(dir, 'k17.json'), [B19])).rejects.toMatchObject({
      code: 'NO_SYMBOLS',
      details: { closest: [B17], bannersFound: [B19] },
    });
  });

  it('ranks closest banners by architecture, darwin and xnu version', () => {
    expect(closestBanners([sampleBanner(22)], [B22ARM, B17, sampleBanner(23), sampleBanner(21)], 2)).toEqual([sampleBanner(21), sampleBanner(23)]);
    // same architecture on another SoC beats the x86_64 build of the same version
    expect(closestBanners([B22ARM], [sampleBanner(22), B22ARM.replace('T8103', 'T6000')], 1)).toEqual([B22ARM.replace('T8103', 'T6000')]);
  });

  it('peeks the version symbol without a full parse', () => {
    expect(peekVersionSymbol(isfFor(B17, 0xffffff8000af2d01n))).toEqual({ banner: B17, address: 0xffffff8000af2d01n });
    expect(peekVersionSymbol('{"symbols": {}}')).toEqual({ banner: null, address: null });
  });

  it('a missing path is reported', async () => {
    await expect(indexSymbols(join(dir, 'nope'))).rejects.toMatchObject({ code: 'NO_SYMBOLS' });
  });

  it('remembers what each file holds by path, size and mtime, and re-reads a file that changed', async () => {
    const sub = mkdtempSync(join(tmpdir(), 'unfold-pack-cache-'));
    const cacheFile = `${sub}.index-cache`;
    const prev = process.env.UNFOLD_ISF_CACHE;
    process.env.UNFOLD_ISF_CACHE = cacheFile;
    try {
      const isf = join(sub, 'k19.json');
      writeFileSync(isf, isfFor(B19, 0xffffff8000c00001n));
      expect((await indexSymbols(sub))[0]!.banner).toBe(B19);
      // the second look comes from the cache: prove it by planting a different banner there
      const cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as { entries: Record<string, { banner: string }> };
      const key = Object.keys(cache.entries).find((k) => k.startsWith(isf))!;
      cache.entries[key]!.banner = 'planted';
      writeFileSync(cacheFile, JSON.stringify(cache));
      expect((await indexSymbols(sub))[0]!.banner).toBe('planted');
      // a changed file (new mtime) is read again
      utimesSync(isf, new Date(), new Date(Date.now() + 5000));
      expect((await indexSymbols(sub))[0]!.banner).toBe(B19);
    } finally {
      if (prev === undefined) delete process.env.UNFOLD_ISF_CACHE;
      else process.env.UNFOLD_ISF_CACHE = prev;
      rmSync(sub, { recursive: true, force: true });
      rmSync(cacheFile, { force: true });
    }
  });
});
