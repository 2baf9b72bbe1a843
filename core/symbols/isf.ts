// Volatility 3 ISF (Intermediate Symbol Format, schema 6.x) loader for macOS kernel symbol tables.
//
// macOS symbol addresses are JSON integers around 1.8e19 (0xffffff80…), far above 2^53, so a plain
// JSON.parse would round them. Integer literals of 16+ digits outside strings are quoted before
// parsing and turned into exact bigints afterwards; nothing else in an ISF gets that long.
import { readFile } from 'node:fs/promises';
import { xz } from '@napi-rs/lzma';
import { DiscoveryError } from '../errors';
import type { BaseType, EnumType, SymbolTable, TypeRef, UserType } from './types';
import { validateIsfTypes } from './validate';
import { xzDeclaredSize, XzIndexError } from './xz-size';

export interface IsfSymbol {
  address: bigint;
  type?: TypeRef;
  constantData?: string;
}

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const GZ_MAGIC = [0x1f, 0x8b];

/** quote every integer literal of 16 or more digits that is not inside a JSON string */
export function quoteLongIntegers(text: string): string {
  if (!/\d{16}/.test(text)) return text;
  return text.replace(/"(?:[^"\\]|\\.)*"|(-?\d{16,})(?![\d.eE])/g, (m, num: string | undefined) => (num === undefined ? m : `"${num}"`));
}

function toBigInt(v: unknown, what: string, source: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new DiscoveryError('BAD_SYMBOLS', `${source}: ${what} is not an integer (${String(v)})`, { source });
}

/** the kernel banner from symbols.version.constant_data (base64 of the `version` bytes, NUL stripped) */
export function bannerFromConstantData(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  return bytes.subarray(0, end).toString('latin1');
}

export class IsfSymbolTable implements SymbolTable {
  readonly source: string;
  readonly banner: string | null;
  readonly baseTypes: Readonly<Record<string, BaseType>>;
  readonly userTypes: Readonly<Record<string, UserType>>;
  readonly enums: Readonly<Record<string, EnumType>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  private readonly symbols: Map<string, IsfSymbol>;

  constructor(
    source: string,
    parts: {
      metadata: Record<string, unknown>;
      baseTypes: Record<string, BaseType>;
      userTypes: Record<string, UserType>;
      enums: Record<string, EnumType>;
      symbols: Map<string, IsfSymbol>;
    },
  ) {
    this.source = source;
    this.metadata = parts.metadata;
    this.baseTypes = parts.baseTypes;
    this.userTypes = parts.userTypes;
    this.enums = parts.enums;
    this.symbols = parts.symbols;
    const cd = this.symbols.get('version')?.constantData;
    this.banner = cd !== undefined ? bannerFromConstantData(cd) : null;
  }

  /** symbol record; accepts the Mach-O spelling with a leading underscore too */
  symbol(name: string): IsfSymbol | undefined {
    // dwarf2json writes Mach-O names without their leading underscore; other converters keep it
    return this.symbols.get(name) ?? (name.startsWith('_') ? this.symbols.get(name.slice(1)) : this.symbols.get('_' + name));
  }

  symbolAddress(name: string): bigint | undefined {
    return this.symbol(name)?.address;
  }

  hasSymbol(name: string): boolean {
    return this.symbol(name) !== undefined;
  }

  symbolNames(): Iterable<string> {
    return this.symbols.keys();
  }

  /** decoded constant_data of a symbol (e.g. the banner bytes of `version`) */
  constantData(name: string): Uint8Array | undefined {
    const cd = this.symbol(name)?.constantData;
    return cd === undefined ? undefined : new Uint8Array(Buffer.from(cd, 'base64'));
  }
}

/** parse ISF JSON text (already decompressed) into a symbol table */
export function parseIsfText(text: string, source: string): IsfSymbolTable {
  let doc: unknown;
  try {
    doc = JSON.parse(quoteLongIntegers(text));
  } catch (e) {
    throw new DiscoveryError('BAD_SYMBOLS', `${source} is not valid JSON: ${(e as Error).message}`, { source });
  }
  return fromIsfObject(doc, source);
}

/** build a table from an already-parsed ISF object (addresses as number, bigint or digit strings) */
export function fromIsfObject(doc: unknown, source: string): IsfSymbolTable {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(doc)) throw new DiscoveryError('BAD_SYMBOLS', `${source} is not a Volatility 3 ISF (top level is not an object)`, { source });
  for (const key of ['metadata', 'base_types', 'user_types', 'enums', 'symbols']) {
    if (!isObj(doc[key])) {
      throw new DiscoveryError('BAD_SYMBOLS', `${source} is not a Volatility 3 ISF: "${key}" is missing`, { source });
    }
  }
  validateIsfTypes(doc, source);
  const symbols = new Map<string, IsfSymbol>();
  for (const [name, raw] of Object.entries(doc.symbols as Record<string, unknown>)) {
    if (!isObj(raw)) continue;
    const sym: IsfSymbol = { address: toBigInt(raw.address, `address of symbol ${name}`, source) };
    if (raw.type !== undefined) sym.type = raw.type as TypeRef;
    if (typeof raw.constant_data === 'string') sym.constantData = raw.constant_data;
    symbols.set(name, sym);
  }
  // enum constants may be written as quoted long integers too; keep them as numbers
  const enums: Record<string, EnumType> = {};
  for (const [name, raw] of Object.entries(doc.enums as Record<string, EnumType>)) {
    const constants: Record<string, number> = {};
    for (const [c, v] of Object.entries(raw.constants ?? {})) constants[c] = typeof v === 'string' ? Number(BigInt(v)) : v;
    enums[name] = { ...raw, constants };
  }
  return new IsfSymbolTable(source, {
    metadata: doc.metadata as Record<string, unknown>,
    baseTypes: doc.base_types as Record<string, BaseType>,
    userTypes: doc.user_types as Record<string, UserType>,
    enums,
    symbols,
  });
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/**
 * The most text an ISF may hold. The largest macOS kernel ISFs are a few hundred megabytes, and V8
 * cannot hold a string longer than about 512 MiB anyway; UNFOLD_ISF_MAX_BYTES lowers it (tests).
 */
export function maxIsfBytes(): number {
  const env = Number(process.env.UNFOLD_ISF_MAX_BYTES);
  return Number.isSafeInteger(env) && env > 0 ? env : 512 * 2 ** 20;
}

const tooBig = (source: string, what: string, n: number, cap: number): DiscoveryError =>
  new DiscoveryError('BAD_SYMBOLS', `${source}: ${what} ${n} bytes, more than the ${cap}-byte limit for a symbol table; not read`, { source, bytes: n, limit: cap });

/**
 * The JSON text of an ISF file's bytes (.json or .json.xz, detected by content), decompressed once.
 * An xz file's size (its index, checked against its LZMA2 chunk headers) is compared with the limit
 * before anything is decompressed, so a small file that expands to gigabytes costs nothing; gzip is
 * inflated with the limit as its output cap.
 */
export async function isfText(bytes: Uint8Array, source: string): Promise<string> {
  const cap = maxIsfBytes();
  if (startsWith(bytes, XZ_MAGIC)) {
    let declared: number;
    try {
      declared = xzDeclaredSize(bytes);
    } catch (e) {
      const why = e instanceof XzIndexError ? e.message : String(e);
      throw new DiscoveryError('BAD_SYMBOLS', `${source}: xz data is damaged (${why})`, { source });
    }
    if (declared > cap) throw tooBig(source, 'its xz data declares', declared, cap);
    let out: Buffer;
    try {
      out = await xz.decompress(bytes);
    } catch (e) {
      throw new DiscoveryError('BAD_SYMBOLS', `${source}: xz data is damaged (${(e as Error).message})`, { source });
    }
    if (out.length !== declared) {
      throw new DiscoveryError('BAD_SYMBOLS', `${source}: xz data is damaged (its index declares ${declared} bytes, it holds ${out.length})`, { source });
    }
    return out.toString('utf8');
  }
  if (startsWith(bytes, GZ_MAGIC)) {
    const { gunzipSync } = await import('node:zlib');
    try {
      return gunzipSync(bytes, { maxOutputLength: cap }).toString('utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig(source, 'its gzip data inflates to more than', cap, cap);
      throw new DiscoveryError('BAD_SYMBOLS', `${source}: gzip data is damaged (${(e as Error).message})`, { source });
    }
  }
  if (bytes.length > cap) throw tooBig(source, 'it is', bytes.length, cap);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** load an ISF `.json` / `.json.xz` (gzip also accepted) file */
export async function loadIsf(path: string): Promise<IsfSymbolTable> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new DiscoveryError('NO_SYMBOLS', `cannot read symbol file ${path}: ${(e as Error).message}`, { source: path });
  }
  return parseIsfText(await isfText(bytes, path), path);
}
