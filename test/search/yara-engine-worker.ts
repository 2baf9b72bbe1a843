// Worker-thread side of yara-engines.test.ts: compiles one rules source with the engine the environment
// chooses and scans one posted page, so the test sees the engine load off the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { compileYara } from '../../core/search/yara';

const { source, page } = workerData as { source: string; page: Uint8Array };
const s = compileYara([{ source, origin: 'worker' }]);
const hits: [number, number, string][] = [];
s.scan(page, (offset, length, rule) => hits.push([offset, length, rule]));
parentPort!.postMessage({ engine: s.engine.label, hits });
