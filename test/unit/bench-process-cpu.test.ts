import { describe, expect, it } from 'vitest';
import { parseCpuSeconds } from '../../src/bench/process-cpu.js';

describe('parseCpuSeconds', () => {
  it('adds utime and stime after the command name, which may hold spaces and parentheses', () => {
    const stat = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194304 9000 0 12 0 1234 566 0 0 20 0 11 0 100';
    expect(parseCpuSeconds(stat)).toBeCloseTo(18.0, 5);
  });

  it('is null for text that is not a stat line', () => {
    expect(parseCpuSeconds('no parenthesis here')).toBeNull();
    expect(parseCpuSeconds('1 (x) S 1')).toBeNull();
  });
});
