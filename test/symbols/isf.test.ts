import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xz } from '@napi-rs/lzma';
import { DiscoveryError } from '../../core/errors';
import { bannerFromConstantData, loadIsf, parseIsfText, quoteLongIntegers } from '../../core/symbols/isf';
import { bannerConstantData, emptyIsf, isfToJson } from '../../core/synth/isf';

const BANNER = 'Darwin Kernel Version 18.7.0: Tue Aug 20 16:57:14 PDT 2019; root:xnu-4903.271.2~2/RELEASE_X86_64';
// odd and far above 2^53: a double would round it to a multiple of 2048
const ADDR = 0xffffff8000ab1235n;

function sampleIsf() {
  const isf = emptyIsf();
  isf.symbols['version'] = { address: 0xffffff8000e2c0a0n, constant_data: bannerConstantData(BANNER) };
  isf.symbols['c_segments'] = { address: ADDR, type: { kind: 'pointer', subtype: { kind: 'base', name: 'void' } } };
  isf.symbols['small'] = { address: 4096n };
  isf.symbols['odd_name_12345678901234567890'] = { address: 0xffffffffffffffffn };
  isf.enums['c_state'] = { size: 4, base: 'int', constants: { C_IS_EMPTY: 0, C_ON_AGE_Q: 3 } };
  isf.user_types['c_segment'] = { kind: 'struct', size: 8, fields: { c_mysegno: { offset: 0, type: { kind: 'base', name: 'unsigned int' } } } };
  return isf;
}

describe('ISF loading', () => {
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'unfold-isf-'));
    const text = isfToJson(sampleIsf(), 1);
    writeFileSync(join(dir, 'k.json'), text);
    writeFileSync(join(dir, 'k.json.xz'), await xz.compress(Buffer.from(text)));
    writeFileSync(join(dir, 'bad.json.xz'), Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]), Buffer.alloc(40, 7)]));
    writeFileSync(join(dir, 'notjson.json'), '{"metadata": ');
    writeFileSync(join(dir, 'nosymbols.json'), '{"metadata": {}, "base_types": {}, "user_types": {}, "enums": {}}');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes 64-bit addresses as exact integer literals', () => {
    const text = isfToJson(sampleIsf());
    expect(text).toContain(`"address":${ADDR.toString()}`);
    expect(text).toContain('"address":18446744073709551615');
    // what a naive JSON.parse would make of it
    expect(BigInt((JSON.parse(text) as { symbols: { c_segments: { address: number } } }).symbols.c_segments.address)).not.toBe(ADDR);
  });

  for (const name of ['k.json', 'k.json.xz']) {
    it(`loads ${name} losslessly`, async () => {
      const t = await loadIsf(join(dir, name));
      expect(t.source).toBe(join(dir, name));
      expect(t.symbolAddress('c_segments')).toBe(ADDR);
      expect(t.symbolAddress('_c_segments')).toBe(ADDR); // Mach-O spelling accepted
      expect(t.symbolAddress('odd_name_12345678901234567890')).toBe(0xffffffffffffffffn);
      expect(t.symbolAddress('small')).toBe(4096n);
      expect(t.symbolAddress('nope')).toBeUndefined();
      expect(t.hasSymbol('version')).toBe(true);
      expect(t.banner).toBe(BANNER);
      expect([...t.symbolNames()].sort()).toEqual(['c_segments', 'odd_name_12345678901234567890', 'small', 'version']);
      expect(t.userTypes['c_segment']!.fields['c_mysegno']!.offset).toBe(0);
      expect(t.enums['c_state']!.constants['C_ON_AGE_Q']).toBe(3);
      expect(t.baseTypes['unsigned int']!.size).toBe(4);
      expect(Buffer.from(t.constantData('version')!).toString('latin1')).toBe(BANNER + '\0');
    });
  }

  it('quotes only long integer literals outside strings', () => {
    expect(quoteLongIntegers('{"a": 18446743524000000000, "b": "x 18446743524000000000", "c": 12, "d": [1234567890123456]}')).toBe(
      '{"a": "18446743524000000000", "b": "x 18446743524000000000", "c": 12, "d": ["1234567890123456"]}',
    );
    expect(quoteLongIntegers('{"s": "a\\"18446743524000000000"}')).toBe('{"s": "a\\"18446743524000000000"}');
  });

  it('strips the NUL from the banner', () => {
    expect(bannerFromConstantData(Buffer.from('Darwin Kernel Version 1.2.3: x\0\0', 'latin1').toString('base64'))).toBe('Darwin Kernel Version 1.2.3: x');
  });

  it('refuses damaged or non-ISF files with BAD_SYMBOLS naming the file', async () => {
    await expect(loadIsf(join(dir, 'bad.json.xz'))).rejects.toMatchObject({ code: 'BAD_SYMBOLS', message: expect.stringMatching(/bad\.json\.xz: xz data is damaged/) });
    await expect(loadIsf(join(dir, 'notjson.json'))).rejects.toMatchObject({ code: 'BAD_SYMBOLS', message: expect.stringMatching(/notjson\.json is not valid JSON/) });
    await expect(loadIsf(join(dir, 'nosymbols.json'))).rejects.toMatchObject({ code: 'BAD_SYMBOLS', message: expect.stringMatching(/"symbols" is missing/) });
    await expect(loadIsf(join(dir, 'missing.json'))).rejects.toBeInstanceOf(DiscoveryError);
    expect(() => parseIsfText('[1,2]', 'x')).toThrow(/not a Volatility 3 ISF/);
  });

  it('finds a symbol whichever way its Mach-O underscore was written', () => {
    const isf = emptyIsf();
    isf.symbols['_c_segments'] = { address: 0xffffff8000ab4960n };
    isf.symbols['c_buffers'] = { address: 0xffffff8000ab4968n };
    const t = parseIsfText(isfToJson(isf), 'x');
    expect(t.symbolAddress('c_segments')).toBe(0xffffff8000ab4960n);
    expect(t.symbolAddress('_c_segments')).toBe(0xffffff8000ab4960n);
    expect(t.symbolAddress('_c_buffers')).toBe(0xffffff8000ab4968n);
    expect(t.symbolAddress('c_segment_count')).toBeUndefined();
  });
});

