// Worker-thread side of the pool: decodes one segment's slots (and hashes, searches or returns the
// pages). No I/O happens here — the coordinating thread reads buffers from the image and transfers them.
import { parentPort } from 'node:worker_threads';
import { runJob, loadJobBuffer, unpackJob, type BatchJob, type Job, type SpaceSpec } from './jobs';
import { openImage } from '../image/detect';
import { createSpace } from '../translate/index';
import type { VirtualSpace } from '../translate/types';
import { attachHeartbeat } from './watch';

if (!parentPort) throw new Error('decode-worker must run in a worker thread');
const port = parentPort;

// each worker opens the evidence once per case (read-only) and keeps its own translation caches
const spaces = new Map<string, Promise<VirtualSpace>>();
function spaceFor(spec: SpaceSpec): Promise<VirtualSpace> {
  const key = JSON.stringify(spec);
  let s = spaces.get(key);
  if (!s) {
    if (spaces.size >= 4) spaces.clear();
    s = openImage(spec.imagePath).then((image) => createSpace(spec.arch, image, spec.dtb, spec.t1sz));
    spaces.set(key, s);
  }
  return s;
}

/** one segment's job: read its buffer (this thread's scratch unless the job keeps it), run it */
async function runOne(job: Job): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  unpackJob(job);
  const problems = job.read ? loadJobBuffer(job, await spaceFor(job.read.spec), 'thread') : [];
  const { result, transfer } = runJob(job);
  if (problems.length) {
    const r = result as { problems?: string[] };
    r.problems = [...problems, ...(r.problems ?? [])];
  }
  return { result, transfer };
}

async function handle(job: Job | BatchJob): Promise<void> {
  try {
    if (job.task === 'batch') {
      const results: unknown[] = [];
      const transfer: ArrayBuffer[] = [];
      for (const j of job.jobs) {
        const r = await runOne(j);
        results.push(r.result);
        transfer.push(...r.transfer);
      }
      port.postMessage({ ok: true, result: results }, transfer);
      return;
    }
    const { result, transfer } = await runOne(job);
    port.postMessage({ ok: true, result }, transfer);
  } catch (err) {
    // the code, name and details cross with the message, so the pool rebuilds the same error type
    const e = err as Error & { code?: string; details?: Record<string, unknown> };
    let details: Record<string, unknown> | undefined;
    try {
      details = e?.details ? (structuredClone(e.details) as Record<string, unknown>) : undefined;
    } catch {
      details = undefined;
    }
    port.postMessage({ ok: false, error: { message: e?.message ?? String(err), code: e?.code, name: e?.name, ...(details ? { details } : {}) } });
  }
}

// Jobs are handled one after the other, in the order they came: the pool takes answers in that
// order, and a job waiting for the image to open must not let a later one overtake it.
let chain: Promise<void> = Promise.resolve();
port.on('message', (job: Job | BatchJob | { __heartbeat: SharedArrayBuffer; epoch: number }) => {
  if ('__heartbeat' in job) {
    attachHeartbeat(job.__heartbeat, job.epoch);
    return;
  }
  chain = chain.then(() => handle(job));
});
