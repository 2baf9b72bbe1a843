// Filling kernel structures by type and field name (dotted paths, anonymous members searched, bitfields
// at their absolute bit) in a buffer before it is written to the synthetic kernel: the builder's side
// of reading by name, so no offset of the process/VM layouts lives outside vm-types.ts.
import type { UserType } from '../symbols/types';
import type { SynthKernelBuilder } from './kernel';

const BASE_SIZES: Record<string, number> = {
  char: 1,
  'unsigned char': 1,
  _Bool: 1,
  bool: 1,
  short: 2,
  'unsigned short': 2,
  int: 4,
  'unsigned int': 4,
  long: 8,
  'long unsigned int': 8,
  'unsigned long long': 8,
  'long long': 8,
};

interface Resolved {
  offset: number;
  /** absolute bit position from the struct start (bitfields) */
  bit?: number;
  bits?: number;
  size: number;
}

function findField(types: Record<string, UserType>, t: UserType, name: string): { offset: number; type: UserType['fields'][string]['type'] } | null {
  const f = t.fields[name];
  if (f) return { offset: f.offset, type: f.type };
  for (const inner of Object.values(t.fields)) {
    if (!inner.anonymous || (inner.type.kind !== 'struct' && inner.type.kind !== 'union')) continue;
    const r = findField(types, types[inner.type.name]!, name);
    if (r) return { offset: inner.offset + r.offset, type: r.type };
  }
  return null;
}

export function resolvePath(types: Record<string, UserType>, typeName: string, path: string): Resolved {
  let t = types[typeName];
  if (!t) throw new Error(`synth procs: no type ${typeName}`);
  let offset = 0;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i++) {
    const r = findField(types, t, parts[i]!);
    if (!r) throw new Error(`synth procs: ${typeName} has no field ${parts.slice(0, i + 1).join('.')}`);
    offset += r.offset;
    const ty = r.type;
    if (i < parts.length - 1) {
      if (ty.kind !== 'struct' && ty.kind !== 'union') throw new Error(`synth procs: ${parts[i]} is not a struct`);
      t = types[ty.name]!;
      continue;
    }
    switch (ty.kind) {
      case 'bitfield':
        return { offset, bit: offset * 8 + ty.bit_position, bits: ty.bit_length, size: 0 };
      case 'pointer':
        return { offset, size: 8 };
      case 'base':
        return { offset, size: BASE_SIZES[ty.name] ?? 8 };
      case 'array':
        return { offset, size: ty.count * (ty.subtype.kind === 'base' ? (BASE_SIZES[ty.subtype.name] ?? 8) : 8) };
      case 'struct':
      case 'union':
        return { offset, size: types[ty.name]!.size };
      default:
        throw new Error(`synth procs: cannot write ${path}`);
    }
  }
  throw new Error('unreachable');
}

/** one structure being filled in memory before it is written to the kernel */
export class SBuf {
  readonly buf: Uint8Array;
  constructor(
    private readonly types: Record<string, UserType>,
    readonly typeName: string,
    readonly va: bigint,
  ) {
    this.buf = new Uint8Array(types[typeName]!.size);
  }

  off(path: string): number {
    return resolvePath(this.types, this.typeName, path).offset;
  }

  addr(path: string): bigint {
    return this.va + BigInt(this.off(path));
  }

  set(path: string, value: number | bigint): this {
    const r = resolvePath(this.types, this.typeName, path);
    const v = BigInt.asUintN(64, BigInt(value));
    if (r.bit !== undefined) {
      if (v >> BigInt(r.bits!) !== 0n) throw new Error(`synth procs: ${this.typeName}.${path} = ${value} does not fit ${r.bits} bits`);
      for (let b = 0; b < r.bits!; b++) {
        const at = r.bit + b;
        const mask = 1 << (at & 7);
        if ((v >> BigInt(b)) & 1n) this.buf[at >> 3]! |= mask;
        else this.buf[at >> 3]! &= ~mask;
      }
      return this;
    }
    if (r.size > 8) throw new Error(`synth procs: ${this.typeName}.${path} is not a scalar`);
    if (r.size < 8 && v >> BigInt(r.size * 8) !== 0n) throw new Error(`synth procs: ${this.typeName}.${path} = ${value} does not fit ${r.size} bytes`);
    for (let i = 0; i < r.size; i++) this.buf[r.offset + i] = Number((v >> BigInt(8 * i)) & 0xffn);
    return this;
  }

  bytes(path: string, b: Uint8Array): this {
    const r = resolvePath(this.types, this.typeName, path);
    if (b.length > r.size) throw new Error(`synth procs: ${b.length} bytes do not fit ${this.typeName}.${path}`);
    this.buf.set(b, r.offset);
    return this;
  }

  flush(k: SynthKernelBuilder): void {
    k.write(this.va, this.buf);
  }
}

