// The page-search heartbeat a worker shares with its pool: which page of the current job is being
// searched and since when. A regex that backtracks catastrophically cannot be interrupted from inside
// the thread running it, so the pool watches this and, past the page budget, stops the thread and
// runs the job again without that page (core/work/pool.ts).
//
// Layout of the Int32Array: [0] = 1 + index (in the job's slot list) of the page being searched, 0 when
// none; [1] = when it started, in ms since the heartbeat's epoch.

let beat: Int32Array | null = null;
let epoch = 0;

export function attachHeartbeat(sab: SharedArrayBuffer, epochMs: number): void {
  beat = new Int32Array(sab);
  epoch = epochMs;
}

export function pageStart(index: number): void {
  if (!beat) return;
  Atomics.store(beat, 1, (Date.now() - epoch) | 0);
  Atomics.store(beat, 0, index + 1);
}

export function pageEnd(): void {
  if (beat) Atomics.store(beat, 0, 0);
}

/** the page being searched and for how long (ms), read by the pool */
export function readHeartbeat(b: Int32Array, epochMs: number, now = Date.now()): { index: number; ms: number } | null {
  const i = Atomics.load(b, 0);
  if (i === 0) return null;
  return { index: i - 1, ms: now - epochMs - Atomics.load(b, 1) };
}
