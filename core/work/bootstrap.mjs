// Worker-thread entry: registers tsx, then loads the TypeScript module named in workerData.entry.
// Used when core runs from source (CLI, tests, benchmarks); bundled builds point workers at JS directly.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.__entry);
