// What a progress panel says about time between reports: elapsed keeps counting, the sender's estimate
// counts down, and one that has run out is called so instead of "about 0 s left" forever.
import { describe, expect, it } from 'vitest';
import { progressClock } from '../../renderer/src/util/format';

describe('progressClock', () => {
  const p = { elapsedMs: 3000, done: 100, total: 400 };
  it('counts elapsed time on from the report', () => {
    expect(progressClock({ ...p, etaSeconds: null }, 0)).toEqual({ elapsed: '3 s', left: null });
    expect(progressClock({ ...p, etaSeconds: null }, 5000)).toEqual({ elapsed: '8 s', left: null });
    expect(progressClock({ ...p, etaSeconds: null }, -50)).toEqual({ elapsed: '3 s', left: null });
  });
  it('counts the sender’s estimate down, then says it has run out', () => {
    expect(progressClock({ ...p, etaSeconds: 42 }, 0).left).toBe('about 42 s left');
    expect(progressClock({ ...p, etaSeconds: 42 }, 10_000).left).toBe('about 32 s left');
    expect(progressClock({ ...p, etaSeconds: 0 }, 0).left).toBe('about 0 s left');
    expect(progressClock({ ...p, etaSeconds: 3 }, 4900).left).toBe('about 0 s left');
    expect(progressClock({ ...p, etaSeconds: 3 }, 5000).left).toBe('taking longer than estimated');
    expect(progressClock({ ...p, etaSeconds: 90 }, 1000)).toEqual({ elapsed: '4 s', left: 'about 1 min 29 s left' });
  });
  it('without an estimate from the sender, uses the plain average of the report', () => {
    expect(progressClock(p, 0).left).toBe('about 9 s left');
    expect(progressClock({ ...p, done: 0 }, 0).left).toBeNull();
    expect(progressClock({ ...p, elapsedMs: 100 }, 0).left).toBeNull();
  });
});
