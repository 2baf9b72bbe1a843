// The one way exports reach the disk. A file is written under a temporary name in its own folder, synced,
// and only then given its final name; a folder export is built under `<out>.partial-<random>` and renamed
// to `<out>` when complete. So whatever stops an export (full disk, permission, cancel, a crash) leaves
// nothing under the final name, and what is under the final name is whole. Existing files and folders
// are never replaced unless the caller asks.
//
// Every byte is hashed (SHA-256) as it is written, so manifests never read an export back.
//
// The file system calls go through `ExportFs` so tests can inject failures (ENOSPC, EACCES) that a test
// running as root could not provoke with chmod.

import { createHash, randomBytes, type Hash } from 'node:crypto';
import { promises as fsp, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ExportError, UnfoldError } from '../errors';
import { assertPreviousExport, guardEvidence } from './guard';

export interface FileHandleLike {
  write(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface ExportFs {
  open(file: string, flags: string, mode?: number): Promise<FileHandleLike>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  unlink(file: string): Promise<void>;
  rm(file: string, options: { recursive: boolean; force: boolean }): Promise<void>;
  mkdir(dir: string, options: { recursive: boolean }): Promise<unknown>;
  lstat(file: string): Promise<{ isDirectory(): boolean }>;
  readdir(dir: string): Promise<string[]>;
}

export const nodeFs: ExportFs = {
  open: (f, flags, mode) => fsp.open(f, flags, mode),
  rename: (a, b) => fsp.rename(a, b),
  link: (a, b) => fsp.link(a, b),
  unlink: (f) => fsp.unlink(f),
  rm: (f, o) => fsp.rm(f, o),
  mkdir: (d, o) => fsp.mkdir(d, o),
  lstat: (f) => fsp.lstat(f),
  readdir: (d) => fsp.readdir(d),
};

export interface WrittenFile {
  path: string;
  bytes: number;
  sha256: string;
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EEXIST: 'it already exists',
  ENOENT: 'a folder on the way does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'input/output error',
};

/** "no space left on the device (ENOSPC)" — the words a person needs, with the code to search for. */
export function describeIoError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string') return `${REASONS[err.code] ?? err.message} (${err.code})`;
  return e instanceof Error ? e.message : String(e);
}

export function writeFailed(file: string, e: unknown, doing = 'write'): ExportError {
  if (e instanceof ExportError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  return new ExportError('WRITE_FAILED', `cannot ${doing} ${file}: ${describeIoError(e)}`, { file, cause: code ?? String(e) });
}

const token = (): string => randomBytes(6).toString('hex');

async function exists(fs: ExportFs, p: string): Promise<{ isDirectory(): boolean } | null> {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** fsync of a folder makes a rename inside it durable; some platforms cannot open folders, so best effort. */
async function syncDir(fs: ExportFs, dir: string): Promise<void> {
  let h: FileHandleLike | null = null;
  try {
    h = await fs.open(dir, 'r');
    await h.sync();
  } catch {
    /* not supported here (e.g. Windows); the data files themselves were synced */
  } finally {
    await h?.close().catch(() => undefined);
  }
}

/**
 * Makes many files written without fsync durable at once. One fsync per file costs a journal commit
 * each (tens of thousands for a slot export); on Linux one syncfs of the export's file system
 * (`sync -f`) flushes them all. Elsewhere, or if that fails, each file is reopened and fsynced.
 */
export async function flushFiles(fs: ExportFs, dir: string, files: readonly string[]): Promise<void> {
  if (fs === nodeFs && process.platform === 'linux') {
    const r = spawnSync('sync', ['-f', dir], { stdio: 'ignore', timeout: 600_000 });
    if (r.status === 0) return;
  }
  const WINDOW = 16;
  for (let i = 0; i < files.length; i += WINDOW) {
    await Promise.all(
      files.slice(i, i + WINDOW).map(async (f) => {
        let h: FileHandleLike | null = null;
        try {
          h = await fs.open(f, 'r');
          await h.sync();
        } catch (e) {
          throw writeFailed(f, e, 'flush');
        } finally {
          await h?.close().catch(() => undefined);
        }
      }),
    );
  }
}

const CHUNK = 1 << 20;

/**
 * A new file (opened with O_EXCL), written through a 1 MiB buffer and hashed on the way. `name` is what
 * errors call it (the final name, not the temporary one).
 */
export class HashingWriter {
  private buf: Buffer = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  private hash: Hash = createHash('sha256');
  private written = 0;
  private closed = false;

  private constructor(
    private readonly fs: ExportFs,
    private readonly handle: FileHandleLike,
    readonly file: string,
    readonly name: string,
    private readonly durable: boolean,
  ) {}

  static async create(fs: ExportFs, file: string, name: string, durable = true): Promise<HashingWriter> {
    let h: FileHandleLike;
    try {
      h = await fs.open(file, 'wx', 0o644);
    } catch (e) {
      throw writeFailed(name, e, 'create');
    }
    return new HashingWriter(fs, h, file, name, durable);
  }

  get bytes(): number {
    return this.written + this.used;
  }

  async write(chunk: Uint8Array | string): Promise<void> {
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.hash.update(data);
    if (this.used + data.length <= CHUNK) {
      this.buf.set(data, this.used);
      this.used += data.length;
      if (this.used === CHUNK) await this.flush();
      return;
    }
    await this.flush();
    if (data.length >= CHUNK) await this.writeOut(data);
    else {
      this.buf.set(data, 0);
      this.used = data.length;
    }
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0;
    await this.writeOut(this.buf.subarray(0, n));
  }

  private async writeOut(data: Uint8Array): Promise<void> {
    let off = 0;
    try {
      while (off < data.length) {
        const { bytesWritten } = await this.handle.write(data, off, data.length - off, null);
        if (bytesWritten <= 0) throw Object.assign(new Error('the write made no progress'), { code: 'EIO' });
        off += bytesWritten;
      }
    } catch (e) {
      throw writeFailed(this.name, e);
    }
    this.written += data.length;
  }

  /** Flushes, syncs and closes; returns the size and SHA-256 of everything written. */
  async finish(): Promise<{ bytes: number; sha256: string }> {
    await this.flush();
    try {
      if (this.durable) await this.handle.sync();
      this.closed = true;
      await this.handle.close();
    } catch (e) {
      throw writeFailed(this.name, e);
    }
    return { bytes: this.written, sha256: this.hash.digest('hex') };
  }

  /** Closes without caring about errors (the caller removes the file). */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => undefined);
  }
}

/**
 * Writes `data` as a new file (O_EXCL) in one go, hashing it; for the many small files of a folder export,
 * where the folder is the atomic unit. `name` is what errors call the file.
 */
export async function writeNewFile(fs: ExportFs, file: string, name: string, data: Uint8Array, durable = true): Promise<{ bytes: number; sha256: string }> {
  const sha256 = createHash('sha256').update(data).digest('hex');
  let h: FileHandleLike;
  try {
    h = await fs.open(file, 'wx', 0o644);
  } catch (e) {
    throw writeFailed(name, e, 'create');
  }
  try {
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await h.write(data, off, data.length - off, null);
      if (bytesWritten <= 0) throw Object.assign(new Error('the write made no progress'), { code: 'EIO' });
      off += bytesWritten;
    }
    if (durable) await h.sync();
  } catch (e) {
    await h.close().catch(() => undefined);
    throw writeFailed(name, e);
  }
  try {
    await h.close();
  } catch (e) {
    throw writeFailed(name, e);
  }
  return { bytes: data.length, sha256 };
}

export interface AtomicOptions {
  /** replace an existing file or folder (default: refuse with ExportError EXISTS) */
  overwrite?: boolean;
  /** fsync files and folders before renaming (default true; tests may turn it off) */
  durable?: boolean;
  fs?: ExportFs;
}

/** A file that appears under its final name only when commit() succeeds. */
export class AtomicFile {
  private constructor(
    private readonly fs: ExportFs,
    readonly path: string,
    readonly tempPath: string,
    private readonly writer: HashingWriter,
    private readonly overwrite: boolean,
    private readonly durable: boolean,
  ) {}

  static async create(file: string, options: AtomicOptions = {}): Promise<AtomicFile> {
    const fs = options.fs ?? nodeFs;
    const overwrite = options.overwrite === true;
    const durable = options.durable !== false;
    let existing;
    try {
      existing = await exists(fs, file);
    } catch (e) {
      throw writeFailed(file, e, 'check');
    }
    if (existing && !overwrite) throw new ExportError('EXISTS', `${file} already exists; not overwritten (ask to overwrite to replace it)`, { file });
    if (existing?.isDirectory()) throw new ExportError('EXISTS', `${file} is a folder; a file cannot replace it`, { file });
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${token()}`);
    const writer = await HashingWriter.create(fs, temp, file, durable);
    return new AtomicFile(fs, file, temp, writer, overwrite, durable);
  }

  write(chunk: Uint8Array | string): Promise<void> {
    return this.writer.write(chunk).catch(async (e) => {
      await this.abort();
      throw e;
    });
  }

  async commit(): Promise<WrittenFile> {
    let done: { bytes: number; sha256: string };
    try {
      done = await this.writer.finish();
      await this.place();
    } catch (e) {
      await this.abort();
      throw writeFailed(this.path, e);
    }
    if (this.durable) await syncDir(this.fs, path.dirname(this.path));
    return { path: this.path, ...done };
  }

  private async place(): Promise<void> {
    if (this.overwrite) {
      await this.fs.rename(this.tempPath, this.path);
      return;
    }
    // link() fails if the name is taken, so a file that appeared meanwhile is not replaced either.
    try {
      await this.fs.link(this.tempPath, this.path);
      await this.fs.unlink(this.tempPath).catch(() => undefined);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new ExportError('EXISTS', `${this.path} appeared while it was being written; not overwritten`, { file: this.path });
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw e;
    }
    // File systems without hard links (FAT, some network shares): check, then rename.
    if (await exists(this.fs, this.path)) throw new ExportError('EXISTS', `${this.path} appeared while it was being written; not overwritten`, { file: this.path });
    await this.fs.rename(this.tempPath, this.path);
  }

  async abort(): Promise<void> {
    await this.writer.discard();
    await this.fs.unlink(this.tempPath).catch(() => undefined);
  }
}

/** Writes a whole file atomically; see AtomicFile. */
export async function writeFileAtomic(file: string, data: Uint8Array | string | Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>, options: AtomicOptions = {}): Promise<WrittenFile> {
  const f = await AtomicFile.create(file, options);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await f.write(data);
    else for await (const chunk of data) await f.write(chunk);
  } catch (e) {
    await f.abort();
    throw e;
  }
  return f.commit();
}

/**
 * A folder built under `<out>.partial-<random>` (beside `<out>`, so the final rename stays on one file
 * system) and renamed to `<out>` by commit(). create() refuses, touching nothing, when `<out>` exists and
 * is not an empty folder, unless overwrite is set; then the old one is replaced only after the new one is
 * complete.
 */
export class AtomicDir {
  private finished = false;
  /** the staging folder, when aborting could not remove it */
  private leftover: string | null = null;

  private constructor(
    private readonly fs: ExportFs,
    readonly out: string,
    readonly staging: string,
    private readonly overwrite: boolean,
    private readonly durable: boolean,
  ) {}

  static async create(out: string, options: AtomicOptions = {}): Promise<AtomicDir> {
    const fs = options.fs ?? nodeFs;
    const overwrite = options.overwrite === true;
    const durable = options.durable !== false;
    const target = path.resolve(out);
    let state: 'absent' | 'empty' | 'taken';
    try {
      state = await dirState(fs, target);
    } catch (e) {
      throw writeFailed(target, e, 'check');
    }
    if (state === 'taken' && !overwrite) {
      throw new ExportError('EXISTS', `${target} already exists and is not empty; nothing was written (ask to overwrite to replace it)`, { file: target });
    }
    if (state === 'taken' && fs === nodeFs) assertReplaceable(target);
    const parent = path.dirname(target);
    try {
      await fs.mkdir(parent, { recursive: true });
    } catch (e) {
      throw writeFailed(parent, e, 'create the folder');
    }
    const staging = path.join(parent, `${path.basename(target)}.partial-${token()}`);
    try {
      await fs.mkdir(staging, { recursive: false });
    } catch (e) {
      throw writeFailed(target, e, 'create the export folder');
    }
    return new AtomicDir(fs, target, staging, overwrite, durable);
  }

  /** the path of `rel` (a relative path with '/' separators) inside the folder being built */
  file(rel: string): string {
    return path.join(this.staging, ...rel.split('/'));
  }

  async commit(): Promise<void> {
    if (this.finished) throw new Error('AtomicDir already finished');
    try {
      if (this.durable) await syncDir(this.fs, this.staging);
      const state = await dirState(this.fs, this.out);
      if (state === 'taken' && !this.overwrite) {
        throw new ExportError('EXISTS', `${this.out} appeared while the export was being written; not overwritten`, { file: this.out });
      }
      if (state === 'absent') {
        await this.fs.rename(this.staging, this.out);
      } else if (state === 'empty') {
        // POSIX rename() replaces an empty folder in one step; elsewhere remove it first.
        try {
          await this.fs.rename(this.staging, this.out);
        } catch {
          if ((await this.fs.readdir(this.out)).length !== 0) throw new ExportError('EXISTS', `${this.out} appeared while the export was being written; not overwritten`, { file: this.out });
          await this.fs.rm(this.out, { recursive: true, force: true });
          await this.fs.rename(this.staging, this.out);
        }
      } else {
        // checked again right before anything is moved away: only an earlier export is replaced
        if (this.fs === nodeFs) assertReplaceable(this.out);
        const old = path.join(path.dirname(this.out), `${path.basename(this.out)}.old-${token()}`);
        await this.fs.rename(this.out, old);
        try {
          await this.fs.rename(this.staging, this.out);
        } catch (e) {
          await this.fs.rename(old, this.out).catch(() => undefined);
          throw e;
        }
        await this.fs.rm(old, { recursive: true, force: true }).catch(() => undefined);
      }
      this.finished = true;
    } catch (e) {
      await this.abort();
      throw writeFailed(this.out, e, 'finish the export folder');
    }
    if (this.durable) await syncDir(this.fs, path.dirname(this.out));
  }

  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      await this.fs.rm(this.staging, { recursive: true, force: true });
    } catch {
      this.leftover = this.staging;
    }
  }

  /**
   * Aborts, and says on the error what became of what was written (its details: `partial: true`, and
   * `leftover`, the staging folder, when it could not be removed), so a refusal made before anything
   * was written is never worded as if files had been removed. Returns the error, to be thrown.
   */
  async fail(e: unknown): Promise<unknown> {
    await this.abort();
    if (e instanceof UnfoldError) {
      e.details.partial = true;
      if (this.leftover) e.details.leftover = this.leftover;
    }
    return e;
  }
}

/**
 * Throws ExportError EXISTS when `out` exists and is not an empty folder (unless overwrite), touching
 * nothing: lets a command refuse before a long walk. AtomicDir.create checks again.
 */
export function assertOutputFree(out: string, overwrite = false, evidence: readonly string[] = []): void {
  guardEvidence(out, evidence);
  const target = path.resolve(out);
  let st;
  try {
    st = lstatSync(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw writeFailed(target, e, 'check');
  }
  if (st.isDirectory() && readdirSync(target).length === 0) return;
  if (!overwrite) throw new ExportError('EXISTS', `${target} already exists and is not empty; nothing was written (ask to overwrite to replace it)`, { file: target });
  if (!st.isDirectory()) throw new ExportError('EXISTS', `${target} is a file, not an earlier export folder; nothing was written or deleted`, { file: target });
  assertPreviousExport(target);
}

/** an existing output that overwrite may replace: an earlier Unfold export folder, nothing else */
function assertReplaceable(target: string): void {
  const st = lstatSync(target);
  if (!st.isDirectory()) throw new ExportError('EXISTS', `${target} is a file, not an earlier export folder; nothing was written or deleted`, { file: target });
  assertPreviousExport(target);
}

async function dirState(fs: ExportFs, p: string): Promise<'absent' | 'empty' | 'taken'> {
  const st = await exists(fs, p);
  if (!st) return 'absent';
  if (!st.isDirectory()) return 'taken';
  return (await fs.readdir(p)).length === 0 ? 'empty' : 'taken';
}
