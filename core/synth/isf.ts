// ISF (Volatility 3 schema 6.2) pieces for synthetic kernels, written the way dwarf2json writes a
// macOS ISF: base types of the LP64 C model, symbol names without the Mach-O underscore, unslid
// addresses as plain (exact) JSON integers, and the banner as base64 `constant_data` of `version`.
import type { BaseType } from '../symbols/types';
import type { IsfJson } from './types';

export function standardBaseTypes(): Record<string, BaseType> {
  const t = (size: number, signed: boolean, kind: BaseType['kind']): BaseType => ({ size, signed, kind, endian: 'little' });
  return {
    void: t(0, false, 'void'),
    pointer: t(8, false, 'int'),
    char: t(1, true, 'char'),
    'unsigned char': t(1, false, 'char'),
    'signed char': t(1, true, 'char'),
    _Bool: t(1, false, 'bool'),
    bool: t(1, false, 'bool'),
    short: t(2, true, 'int'),
    'unsigned short': t(2, false, 'int'),
    int: t(4, true, 'int'),
    'unsigned int': t(4, false, 'int'),
    long: t(8, true, 'int'),
    'long unsigned int': t(8, false, 'int'),
    'unsigned long': t(8, false, 'int'),
    'long long': t(8, true, 'int'),
    'long long unsigned int': t(8, false, 'int'),
    'unsigned long long': t(8, false, 'int'),
    float: t(4, true, 'float'),
    double: t(8, true, 'float'),
    int8_t: t(1, true, 'int'),
    uint8_t: t(1, false, 'int'),
    int16_t: t(2, true, 'int'),
    uint16_t: t(2, false, 'int'),
    int32_t: t(4, true, 'int'),
    uint32_t: t(4, false, 'int'),
    int64_t: t(8, true, 'int'),
    uint64_t: t(8, false, 'int'),
  };
}

/** base64 of the banner bytes with the terminating NUL, as dwarf2json stores `version` */
export function bannerConstantData(banner: string): string {
  return Buffer.concat([Buffer.from(banner, 'latin1'), Buffer.from([0])]).toString('base64');
}

export function emptyIsf(): IsfJson {
  return {
    metadata: {
      format: '6.2.0',
      producer: { name: 'unfold-synth', version: '0.1.0', datetime: '2024-01-01T00:00:00Z' },
      mac: { symbols: [{ kind: 'symtab', name: 'kernel' }], types: [{ kind: 'dwarf', name: 'kernel.dSYM' }] },
    },
    base_types: standardBaseTypes(),
    user_types: {},
    enums: {},
    symbols: {},
  };
}

const BIG = '\u0001bigint:';

/**
 * Serialise an ISF with every bigint written as an exact integer literal (like dwarf2json's Go
 * encoder), so addresses above 2^53 survive. `indent` as for JSON.stringify. Keys keep insertion order.
 */
export function isfToJson(isf: IsfJson, indent?: number): string {
  const text = JSON.stringify(isf, (_k, v: unknown) => (typeof v === 'bigint' ? BIG + v.toString() : v), indent);
  return text.replace(/"\\u0001bigint:(-?\d+)"/g, '$1');
}
