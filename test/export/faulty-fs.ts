// A file system for export tests that fails on cue (ENOSPC after N bytes, EACCES on mkdir, …), so the
// failure paths can be tested even when tests run as root, where chmod does not stop anything.
import { nodeFs, type ExportFs, type FileHandleLike } from '../../core/export/atomic';

export const errno = (code: string, op: string, file: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: injected failure, ${op} '${file}'`), { code, syscall: op, path: file });

export interface Faults {
  /** fail open() of matching files */
  open?: { match: (file: string) => boolean; code: string };
  /** fail write() once a matching file has received `after` bytes (the bytes before are written) */
  write?: { match: (file: string) => boolean; after: number; code: string };
  mkdir?: { match: (dir: string) => boolean; code: string };
  link?: { code: string };
  /** fail rm() of matching paths */
  rm?: { match: (file: string) => boolean; code: string };
  /** called before each rename (to simulate something appearing meanwhile) */
  beforeRename?: (from: string, to: string) => void;
}

export function faultyFs(f: Faults): ExportFs {
  return {
    ...nodeFs,
    async open(file, flags, mode) {
      if (f.open?.match(file)) throw errno(f.open.code, 'open', file);
      const h = await nodeFs.open(file, flags, mode);
      const w = f.write;
      if (!w || !w.match(file)) return h;
      let seen = 0;
      const wrapped: FileHandleLike = {
        async write(buf, offset, length, position) {
          if (seen + length > w.after) {
            const room = w.after - seen;
            if (room > 0) {
              seen += room;
              return h.write(buf, offset, room, position);
            }
            throw errno(w.code, 'write', file);
          }
          seen += length;
          return h.write(buf, offset, length, position);
        },
        sync: () => h.sync(),
        close: () => h.close(),
      };
      return wrapped;
    },
    async mkdir(dir, o) {
      if (f.mkdir?.match(dir)) throw errno(f.mkdir.code, 'mkdir', dir);
      return nodeFs.mkdir(dir, o);
    },
    async link(a, b) {
      if (f.link) throw errno(f.link.code, 'link', b);
      return nodeFs.link(a, b);
    },
    async rm(file, o) {
      if (f.rm?.match(file)) throw errno(f.rm.code, 'rm', file);
      return nodeFs.rm(file, o);
    },
    async rename(a, b) {
      f.beforeRename?.(a, b);
      return nodeFs.rename(a, b);
    },
  };
}
