// The case host runs core's façade in a worker thread: answers match what the façade gives in this
// thread, streamed events carry their request id, stale case ids and missing slots are refused, and the
// hit limit stops a search.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import type { ApiResult, OpenCase, UnfoldEvent } from '../../core/api';
import { openCase, type Case } from '../../core/case';
import { ensureDemoCase } from '../../core/demo';
import { CaseHost, defaultWorkerSpec } from '../../main/case-host';

let host: CaseHost;
let core: Case;
let info: OpenCase;
const events: UnfoldEvent[] = [];

const value = <T>(r: ApiResult<T>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

beforeAll(async () => {
  const demo = await ensureDemoCase();
  core = await openCase(demo.imagePath, { symbols: demo.symbolsPath, threads: 0 });
  host = new CaseHost(defaultWorkerSpec({ threads: 1 }), (e) => events.push(e));
  info = value(await host.call('openDemo', { requestId: 'open-1' }));
});

afterAll(async () => {
  await host?.dispose();
  await core?.close();
});

describe('case host (worker thread)', () => {
  it('opens the demo case, streaming progress and a done event under the request id', () => {
    expect(info.caseId).toBe(1);
    expect(info.demo).toBe(true);
    expect(info.compressor).toEqual(core.info.compressor);
    expect(info.kernel).toEqual(core.info.kernel);
    const mine = events.filter((e) => 'requestId' in e && e.requestId === 'open-1');
    expect(mine.some((e) => e.type === 'progress')).toBe(true);
    expect(mine.at(-1)).toEqual({ type: 'done', requestId: 'open-1' });
  });

  it('gives the same segments and slots as the façade', async () => {
    const segs = value(await host.call('getSegments', info.caseId));
    expect(segs).toEqual(core.segments());
    const first = segs[0]!.index;
    // the slot list carries every decoded page's SHA-256 (hashed for that segment when asked)
    const listed = value(await host.call('getSlots', info.caseId, first));
    expect(listed).toEqual(core.slots(first, { hashes: true }));
    expect(listed.filter((r) => r.sha256 !== undefined).length).toBe(listed.filter((r) => r.error === undefined && ['wkdm', 'lz4', 'mzv', 'raw', 'single'].includes(r.kind)).length);
  });

  it('gives a page as base64 bytes whose SHA-256 is the slot’s', async () => {
    const rec = core.segments().flatMap((s) => core.slots(s.index, { hashes: true })).find((r) => r.sha256 && r.kind === 'wkdm')!;
    const p = value(await host.call('getPage', info.caseId, rec.segment, rec.slot));
    const bytes = Buffer.from(p.page!, 'base64');
    expect(bytes.length).toBe(core.info.compressor.pageSize);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(rec.sha256);
    expect(Buffer.from(p.compressed!, 'base64')).toEqual(Buffer.from(core.page(rec.segment, rec.slot).compressed!));
  });

  it('refuses a stale case id and slots that do not exist', async () => {
    const stale = await host.call('getSegments', info.caseId + 1);
    expect(!stale.ok && stale.error.code).toBe('STALE_CASE');
    const noSeg = await host.call('getSlots', info.caseId, 99999);
    expect(!noSeg.ok && noSeg.error.code).toBe('NOT_FOUND');
    const seg = core.segments()[0]!.index;
    const noSlot = await host.call('getPage', info.caseId, seg, 99999);
    expect(!noSlot.ok && noSlot.error.code).toBe('NOT_FOUND');
  });

  it('streams search hits in batches under the request id; the count matches the façade', async () => {
    const expected: string[] = [];
    await core.search({ strings: ['UNFOLD-DEMO-SECRET'], utf16: true, ascii: true }, { onHit: (h) => expected.push(`${h.segment}/${h.slot}/${h.offset}`) });
    expect(expected.length).toBeGreaterThan(1);
    const req = { requestId: 'search-1', caseId: info.caseId, strings: ['UNFOLD-DEMO-SECRET'], regexes: [], hex: [], yara: [], utf16: true, ascii: true, ignoreCase: false };
    const r = value(await host.call('search', req));
    expect(r.hits).toBe(expected.length);
    expect(r.cancelled).toBe(false);
    expect(r.limited).toBe(false);
    const streamed = events.flatMap((e) => (e.type === 'hits' && e.requestId === 'search-1' ? e.hits : []));
    expect(streamed.map((h) => `${h.segment}/${h.slot}/${h.offset}`)).toEqual(expected);
  });

  it('a YARA search in the app says which engine ran; a search without rules names none', async () => {
    const rules = 'rule demo_secret { strings: $a = "UNFOLD-DEMO-SECRET" ascii wide condition: $a }';
    const req = { requestId: 'search-yara', caseId: info.caseId, strings: [], regexes: [], hex: [], yara: [rules], utf16: false, ascii: false, ignoreCase: false };
    const expected: string[] = [];
    await core.search({ yara: [{ source: rules, origin: 'same rules' }] }, { onHit: (h) => expected.push(`${h.segment}/${h.slot}/${h.offset}`) });
    expect(expected.length).toBeGreaterThan(1);
    const r = value(await host.call('search', req));
    expect(r.hits).toBe(expected.length);
    // the case worker runs YARA on this machine's engine: the native binding here (Linux x64), wasm elsewhere
    expect(r.yaraEngine).toMatch(/^(yara-x 1\.7\.1 \(native\)|libyara 4\.5\.8 \(wasm\))$/);
    const plain = value(await host.call('search', { ...req, requestId: 'search-plain', yara: [], strings: ['UNFOLD-DEMO-SECRET'], utf16: true, ascii: true }));
    expect(plain).not.toHaveProperty('yaraEngine');
  });

  it('stops at the hit limit and says so', async () => {
    const req = { requestId: 'search-2', caseId: info.caseId, strings: ['UNFOLD-DEMO-SECRET'], regexes: [], hex: [], yara: [], utf16: true, ascii: true, ignoreCase: false, maxHits: 1 };
    const r = value(await host.call('search', req));
    expect(r).toMatchObject({ hits: 1, limited: true, cancelled: false });
    expect(events.flatMap((e) => (e.type === 'hits' && e.requestId === 'search-2' ? e.hits : []))).toHaveLength(1);
  });

  it('cancelling a request that does not run answers false', async () => {
    expect(value(await host.call('cancel', 'nothing-running'))).toBe(false);
  });
});
