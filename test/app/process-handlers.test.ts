// The process methods (getProcesses, getMaps, getRegionPages, readVirtual, getSegmentOwners,
// getSvOwners, procDump) refuse bad arguments with BAD_ARGUMENT (NOT_FOUND for a dump folder's missing
// parent) before the case worker sees anything, and pass good ones on normalized.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VIRTUAL_READ_MAX, type ApiResult } from '../../core/api';
import type { CaseHostLike } from '../../main/case-host';
import type { WorkerArgs, WorkerCall, WorkerCallName, WorkerValue } from '../../main/protocol';
import { createHandlers, type Handlers } from '../../main/handlers';
import { memorySettings } from '../../main/settings';

class RecordingHost implements CaseHostLike {
  calls: WorkerCall[] = [];
  call<M extends WorkerCallName>(method: M, ...args: WorkerArgs<M>): Promise<ApiResult<WorkerValue<M>>> {
    this.calls.push({ method, args } as WorkerCall);
    return Promise.resolve({ ok: true, value: null as WorkerValue<M> });
  }
}

let dir: string;
let host: RecordingHost;
let h: Handlers;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'unfold-proc-handlers-'));
  mkdirSync(path.join(dir, 'dumps'));
  writeFileSync(path.join(dir, 'a-file'), 'x');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fresh(): void {
  host = new RecordingHost();
  h = createHandlers({ host, mode: 'browser', appVersion: '0.0.0-test', dialogs: null, settings: memorySettings() });
}

async function refused(p: Promise<ApiResult<unknown>>, code: string, pattern: RegExp): Promise<void> {
  const r = await p;
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error.code).toBe(code);
  expect(r.error.message).toMatch(pattern);
}

describe('process handlers: argument validation', () => {
  it('getProcesses and getMaps take a case id and a pid', async () => {
    fresh();
    await refused(h.getProcesses(), 'BAD_ARGUMENT', /^getProcesses: expects 1 argument, got 0$/);
    await refused(h.getProcesses(0), 'BAD_ARGUMENT', /caseId must be a whole number from 1/);
    await refused(h.getProcesses('1'), 'BAD_ARGUMENT', /caseId must be a whole number from 1 to 2147483647 \(got "1"\)/);
    await refused(h.getMaps(1), 'BAD_ARGUMENT', /^getMaps: expects 2 arguments, got 1$/);
    await refused(h.getMaps(1, -1), 'BAD_ARGUMENT', /^getMaps: pid must be a whole number from 0 to 2147483647 \(got number -1\)$/);
    await refused(h.getMaps(1, 4.5), 'BAD_ARGUMENT', /pid must be a whole number/);
    expect(host.calls).toEqual([]);
    await h.getProcesses(2);
    await h.getMaps(2, 412);
    expect(host.calls).toEqual([
      { method: 'getProcesses', args: [2] },
      { method: 'getMaps', args: [2, 412] },
    ]);
  });

  it('getRegionPages and readVirtual take addresses as 0x hex and a bounded length', async () => {
    fresh();
    await refused(h.getRegionPages(1, 412, 4096, 0), 'BAD_ARGUMENT', /^getRegionPages: start must be an address: 0x and 1 to 16 hex digits \(got number 4096\)$/);
    await refused(h.getRegionPages(1, 412, '4096', 0), 'BAD_ARGUMENT', /start must be an address/);
    await refused(h.getRegionPages(1, 412, '0x' + '1'.repeat(17), 0), 'BAD_ARGUMENT', /start must be an address/);
    await refused(h.getRegionPages(1, 412, '0x1000'), 'BAD_ARGUMENT', /^getRegionPages: expects 4 arguments, got 3$/);
    await refused(h.getRegionPages(1, 412, '0x1000', -1), 'BAD_ARGUMENT', /^getRegionPages: first must be a whole number from 0/);
    await refused(h.readVirtual(1, 412, '0x1000'), 'BAD_ARGUMENT', /^readVirtual: expects 4 arguments, got 3$/);
    await refused(h.readVirtual(1, 412, '0xzz', 16), 'BAD_ARGUMENT', /va must be an address/);
    await refused(h.readVirtual(1, 412, '0x1000', 0), 'BAD_ARGUMENT', /length must be a whole number from 1/);
    await refused(h.readVirtual(1, 412, '0x1000', VIRTUAL_READ_MAX + 1), 'BAD_ARGUMENT', new RegExp(`^readVirtual: length must be at most ${VIRTUAL_READ_MAX} `));
    await refused(h.readVirtual(1, 412, '0xfffffffffffffff0', 32), 'BAD_ARGUMENT', /runs past the end of the 64-bit address space/);
    expect(host.calls).toEqual([]);
    await h.getRegionPages(1, 412, '0x7FF800000000', 4096);
    await h.readVirtual(1, 412, '0x0007ff800001000', 4096);
    await h.readVirtual(1, 412, '0xfffffffffffffff0', 16);
    expect(host.calls).toEqual([
      { method: 'getRegionPages', args: [1, 412, '0x7ff800000000', 4096] },
      { method: 'readVirtual', args: [1, 412, '0x7ff800001000', 4096] },
      { method: 'readVirtual', args: [1, 412, '0xfffffffffffffff0', 16] },
    ]);
  });

  it('getSegmentOwners and getSvOwners take whole numbers', async () => {
    fresh();
    await refused(h.getSegmentOwners(1, 'a'), 'BAD_ARGUMENT', /^getSegmentOwners: segment must be a whole number/);
    await refused(h.getSvOwners(1, -3), 'BAD_ARGUMENT', /^getSvOwners: index must be a whole number/);
    await refused(h.getSvOwners(1, 2, 3), 'BAD_ARGUMENT', /expects 2 arguments, got 3/);
    expect(host.calls).toEqual([]);
    await h.getSegmentOwners(1, 7);
    await h.getSvOwners(1, 0);
    expect(host.calls).toEqual([
      { method: 'getSegmentOwners', args: [1, 7] },
      { method: 'getSvOwners', args: [1, 0] },
    ]);
  });

  it('procDump checks the request like an export', async () => {
    fresh();
    const good = { requestId: 'procdump-1', caseId: 1, pid: 412, out: path.join(dir, 'dumps', 'safari'), overwrite: false };
    await refused(h.procDump({ ...good, pid: '412' }), 'BAD_ARGUMENT', /^procDump: pid must be a whole number/);
    await refused(h.procDump({ ...good, requestId: 'bad id' }), 'BAD_ARGUMENT', /requestId must be/);
    await refused(h.procDump({ ...good, out: 'dumps/safari' }), 'BAD_ARGUMENT', /out must be a full path/);
    await refused(h.procDump({ ...good, out: '/' }), 'BAD_ARGUMENT', /out cannot be the root folder/);
    await refused(h.procDump({ ...good, out: path.join(dir, 'no-such', 'x') }), 'NOT_FOUND', /folder that will hold the dump: nothing at/);
    await refused(h.procDump({ ...good, out: path.join(dir, 'a-file', 'x') }), 'NOT_FOUND', /folder that will hold the dump/);
    await refused(h.procDump({ ...good, overwrite: 1 }), 'BAD_ARGUMENT', /overwrite must be true or false/);
    await refused(h.procDump({ ...good, extra: 1 }), 'BAD_ARGUMENT', /unknown field "extra"/);
    const { pid: _p, ...noPid } = good;
    await refused(h.procDump(noPid), 'BAD_ARGUMENT', /the dump\.pid is missing/);
    // a folder that exists and was not chosen or written this session is never replaced
    await refused(h.procDump({ ...good, out: path.join(dir, 'dumps'), overwrite: true }), 'NOT_GRANTED', /./);
    expect(host.calls).toEqual([]);
    await h.procDump(good);
    expect(host.calls).toEqual([{ method: 'procDump', args: [good] }]);
  });
});
