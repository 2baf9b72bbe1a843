import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { WorkerPool } from '../../core/work/pool';

describe('WorkerPool.close', () => {
  it('settles the jobs still running and the queued ones (none is left pending)', async () => {
    const pool = new WorkerPool(1, path.resolve('test/work/fixtures/silent-worker.mjs'));
    // DEPTH 2 per worker: two jobs go to the thread, the third waits in the queue
    const jobs = [1, 2, 3].map((n) => pool.run({ n }).then(() => 'resolved', (e: Error) => e.message));
    await new Promise((r) => setTimeout(r, 50));
    expect(pool.load).toBe(3);
    await pool.close();
    expect(await Promise.all(jobs)).toEqual(['worker pool closed', 'worker pool closed', 'worker pool closed']);
    await expect(pool.run({ n: 4 })).rejects.toThrow('worker pool closed');
  });
});
