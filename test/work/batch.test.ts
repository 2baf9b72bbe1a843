// Streamed results leave in batches: when full, or when the first item has waited delayMs.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher } from '../../core/work/batch';

describe('Batcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends a full batch at once and the rest after the delay', () => {
    const sent: number[][] = [];
    const b = new Batcher<number>({ size: 3, delayMs: 50, send: (x) => sent.push(x) });
    for (let i = 1; i <= 7; i++) b.push(i);
    expect(sent).toEqual([[1, 2, 3], [4, 5, 6]]);
    vi.advanceTimersByTime(49);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('flush sends what is waiting once and cancels the timer', () => {
    const sent: string[][] = [];
    const b = new Batcher<string>({ size: 100, delayMs: 50, send: (x) => sent.push(x) });
    b.push('a');
    b.push('b');
    b.flush();
    b.flush();
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([['a', 'b']]);
  });
});
