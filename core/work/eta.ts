// An estimate of the time left in a long pass that does not jump around early. The first second
// (threads starting, caches cold) says little about the rest, so nothing is estimated from it; the
// rate is then measured over the later half of what has elapsed (at least a few seconds), which
// forgets the start-up and settles as the pass goes on. Work is counted in bytes (or pages), not
// segments, so a few large segments early do not skew it.

const WARMUP_MS = 1000;
const MIN_WINDOW_MS = 3000;
const MIN_ESTIMATE_MS = 2000;

export class Eta {
  private readonly t: number[] = [];
  private readonly d: number[] = [];
  private readonly start: number;

  constructor(
    readonly total: number,
    now = Date.now(),
  ) {
    this.start = now;
    this.t.push(now);
    this.d.push(0);
  }

  /** `done` units of `total` are finished at `now` */
  update(done: number, now = Date.now()): void {
    this.t.push(now);
    this.d.push(done);
    // keep the samples bounded: drop every other old one when many have piled up
    if (this.t.length > 4096) {
      for (let i = 1, j = 1; i < this.t.length; i += 2, j++) {
        this.t[j] = this.t[i]!;
        this.d[j] = this.d[i]!;
      }
      this.t.length = this.d.length = Math.ceil(this.t.length / 2);
    }
  }

  /** seconds left, or null while there is not enough to go on */
  secondsLeft(now = Date.now()): number | null {
    const n = this.t.length;
    const done = this.d[n - 1]!;
    if (done >= this.total) return 0;
    const elapsed = now - this.start;
    if (elapsed < MIN_ESTIMATE_MS || done <= 0) return null;
    // the window: the later half of the time elapsed, at least MIN_WINDOW_MS, never reaching into the warm-up
    const from = Math.max(this.start + WARMUP_MS, now - Math.max(MIN_WINDOW_MS, elapsed / 2));
    let i = 0;
    while (i < n - 1 && this.t[i]! < from) i++;
    // with no sample after the warm-up yet, the whole run so far is all there is
    if (i >= n - 1) i = 0;
    const dt = now - this.t[i]!;
    const dd = done - this.d[i]!;
    if (dt <= 0 || dd <= 0) return null;
    return ((this.total - done) / dd) * (dt / 1000);
  }
}
