import { describe, expect, it } from 'vitest';
import { longestGap } from '../../src/bench/scale-out.js';

describe('longestGap', () => {
  it('finds the longest interval without arrivals inside the window, and when it ended', () => {
    const arrivals = [90, 100, 110, 120, 400, 410, 420];
    expect(longestGap(arrivals, 100, 500)).toEqual({ gapMs: 280, endsAfterMs: 300 });
  });

  it('counts the window edges: no arrival at all is one gap as long as the window', () => {
    expect(longestGap([], 1000, 1500)).toEqual({ gapMs: 500, endsAfterMs: 500 });
    expect(longestGap([1000, 1010], 1000, 1600)).toEqual({ gapMs: 590, endsAfterMs: 600 });
  });
});
