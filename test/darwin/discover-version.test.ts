import { describe, expect, it } from 'vitest';
import { macosFromDarwin, macosFromXnu, parseBanner } from '../../core/darwin/version';

describe('banner parsing', () => {
  it('x86_64 release kernel', () => {
    const v = parseBanner('Darwin Kernel Version 17.7.0: Thu Jun 21 22:53:14 PDT 2018; root:xnu-4570.71.2~1/RELEASE_X86_64\0junk');
    expect(v).toEqual({
      banner: 'Darwin Kernel Version 17.7.0: Thu Jun 21 22:53:14 PDT 2018; root:xnu-4570.71.2~1/RELEASE_X86_64',
      major: 17,
      minor: 7,
      patch: 0,
      date: 'Thu Jun 21 22:53:14 PDT 2018',
      xnu: 'xnu-4570.71.2~1',
      xnuParts: [4570, 71, 2],
      kernelConfig: 'RELEASE_X86_64',
      arch: 'x86_64',
      soc: null,
      macos: '10.13',
    });
  });

  it('arm64 kernel with SoC and a five-part xnu build', () => {
    const v = parseBanner('Darwin Kernel Version 22.6.0: Wed Jul  5 22:17:35 PDT 2023; root:xnu-8796.141.3.701.17~4/RELEASE_ARM64_T8103')!;
    expect([v.major, v.minor, v.patch, v.arch, v.soc, v.macos, v.kernelConfig]).toEqual([22, 6, 0, 'arm64', 'T8103', '13', 'RELEASE_ARM64_T8103']);
    expect(v.xnuParts).toEqual([8796, 141, 3, 701, 17]);
    expect(v.date).toBe('Wed Jul  5 22:17:35 PDT 2023');
  });

  it('development kernels and banners without xnu', () => {
    expect(parseBanner('Darwin Kernel Version 23.0.0: Fri Sep 15 14:41:43 PDT 2023; root:xnu-10002.1.13~1/DEVELOPMENT_ARM64_T6000')!.arch).toBe('arm64');
    const bare = parseBanner('Darwin Kernel Version 13.4.0: Sun Aug 17 19:50:11 PDT 2014')!;
    expect([bare.xnu, bare.arch, bare.macos]).toEqual([null, null, '10.9']);
    expect(parseBanner('Linux version 6.1.0')).toBeNull();
    expect(parseBanner('Darwin Kernel Version x.y.z: nope')).toBeNull();
  });

  it('maps darwin and xnu versions to macOS releases', () => {
    expect([13, 14, 19, 20, 21, 22, 23, 24].map(macosFromDarwin)).toEqual(['10.9', '10.10', '10.15', '11', '12', '13', '14', '15']);
    expect([2422, 3248, 4903, 6153, 7195, 8020, 8796, 10063, 11417, 9999].map(macosFromXnu)).toEqual(['10.9', '10.11', '10.14', '10.15', '11', '12', '13', '14', '15', null]);
  });
});
