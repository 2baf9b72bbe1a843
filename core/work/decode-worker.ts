// Worker-thread side of the pool: decodes one segment's slots (and hashes, searches or returns the
// pages). No I/O happens here — the coordinating thread reads buffers from the image and transfers them.
import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './jobs';

if (!parentPort) throw new Error('decode-worker must run in a worker thread');
const port = parentPort;

port.on('message', (job: Job) => {
  try {
    const { result, transfer } = runJob(job);
    port.postMessage({ ok: true, result }, transfer);
  } catch (err) {
    const e = err as Error & { code?: string };
    port.postMessage({ ok: false, error: { message: e?.message ?? String(err), code: e?.code } });
  }
});
