// Worker-thread side of matcher.test.ts: compiles the query it is given and scans the pages it is sent,
// proving a Matcher (YARA included) works off the main thread with nothing but posted data.
import { parentPort, workerData } from 'node:worker_threads';
import { compileMatcher } from '../../core/search/matcher';
import type { SearchQuery } from '../../core/search/query';

const { query, pages } = workerData as { query: SearchQuery; pages: Uint8Array[] };
const m = compileMatcher(query);
const hits: [number, number, number, string][] = [];
pages.forEach((p, i) => m.scanPage(p, (offset, length, pattern) => hits.push([i, offset, length, pattern])));
parentPort!.postMessage(hits);
