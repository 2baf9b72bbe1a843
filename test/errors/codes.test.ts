// Every error code is one of a closed list, and each has words in the app and an exit status in the
// CLI; the error classes that used to extend plain Error carry codes of that list.
import { describe, it, expect } from 'vitest';
import { ERROR_CODES, UnfoldError, fromErrno, reviveError } from '../../core/errors';
import { EXIT, EXIT_STATUS } from '../../core/cli/exit-status';
import { exitCodeFor } from '../../core/cli/main';
import { explain, hasWords } from '../../renderer/src/util/errors';
import { StructError } from '../../core/symbols/struct';
import { TurtleError } from '../../core/image/turtle';

const STATUSES = new Set<number>(Object.values(EXIT));

describe('error codes', () => {
  it('the union is what ERROR_CODES lists, without duplicates', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(ERROR_CODES.length).toBe(21);
  });

  for (const code of ERROR_CODES) {
    it(`${code} has an exit status and its own words in the app`, () => {
      const status = EXIT_STATUS[code];
      expect(STATUSES.has(status)).toBe(true);
      expect(status).not.toBe(EXIT.failure);
      expect(exitCodeFor(new UnfoldError(code, 'm'))).toBe(status);
      expect(hasWords(code)).toBe(true);
      const e = explain({ code, message: 'technical' }, 'open', false);
      expect(e.title).not.toBe('Something went wrong inside Unfold');
      expect(e.what.length).toBeGreaterThan(10);
      expect(e.advice.length).toBeGreaterThan(10);
    });
  }

  it('statuses follow the README: 2 bad data and files, 3 symbols, 4 incomplete, 64 usage', () => {
    expect(EXIT_STATUS.LAYOUT).toBe(3);
    expect(EXIT_STATUS.BAD_DTB).toBe(3);
    expect(EXIT_STATUS.BAD_SYMBOLS).toBe(3);
    expect(EXIT_STATUS.NOT_FOUND).toBe(2);
    expect(EXIT_STATUS.PERMISSION).toBe(2);
    expect(EXIT_STATUS.WRITE_FAILED).toBe(2);
    expect(EXIT_STATUS.INCONSISTENT).toBe(4);
    expect(EXIT_STATUS.BAD_OPTION).toBe(64);
  });

  it('StructError and TurtleError are UnfoldErrors with codes of the union', () => {
    const s = new StructError('type x has no field y');
    expect(s).toBeInstanceOf(UnfoldError);
    expect(s.code).toBe('LAYOUT');
    expect(exitCodeFor(s)).toBe(3);
    const t = new TurtleError(4, 'unexpected token');
    expect(t).toBeInstanceOf(UnfoldError);
    expect(t.code).toBe('IMAGE_FORMAT');
    expect(t.message).toBe('line 4: unexpected token');
  });

  it('file system errors become NOT_FOUND, PERMISSION or IO naming the file', () => {
    const enoent = fromErrno(Object.assign(new Error('x'), { code: 'ENOENT' }), '/a/b', 'open') as UnfoldError;
    expect([enoent.code, enoent.message]).toEqual(['NOT_FOUND', 'cannot open /a/b: there is no such file or folder (ENOENT)']);
    const eacces = fromErrno(Object.assign(new Error('x'), { code: 'EACCES' }), '/a/b', 'read') as UnfoldError;
    expect([eacces.code, eacces.message]).toEqual(['PERMISSION', 'cannot read /a/b: permission denied (EACCES)']);
    const eio = fromErrno(Object.assign(new Error('odd'), { code: 'EWEIRD' }), '/a/b') as UnfoldError;
    expect([eio.code, eio.message]).toEqual(['IO', 'cannot open /a/b: odd (EWEIRD)']);
    // a raw errno error reaching the CLI is mapped the same way
    expect(exitCodeFor(Object.assign(new Error('ENOENT'), { code: 'ENOENT', path: '/a/b' }))).toBe(2);
  });

  it('an error revived from a worker keeps its code, name and details', () => {
    const e = reviveError({ message: 'bad regex pattern /(/: x', code: 'BAD_QUERY', name: 'QueryError', details: { type: 'regex' } });
    expect(e).toBeInstanceOf(UnfoldError);
    expect((e as UnfoldError).code).toBe('BAD_QUERY');
    expect(e.name).toBe('QueryError');
    expect((e as UnfoldError).details).toEqual({ type: 'regex' });
    const other = reviveError({ message: 'boom', code: 'WORKER_FAILED' });
    expect(other).not.toBeInstanceOf(UnfoldError);
    expect((other as Error & { code: string }).code).toBe('WORKER_FAILED');
  });
});
