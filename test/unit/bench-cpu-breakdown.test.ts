import { describe, expect, it } from 'vitest';
import { type CpuSnapshot, cpuBreakdown } from '../../src/bench/cpu-breakdown.js';

// Pids far above any real one: /proc has no cgroup or cmdline for them, so roles come from names.
const snap = (entries: [number, string, number][]): CpuSnapshot =>
  new Map(entries.map(([pid, comm, cpuSeconds]) => [pid, { comm, cpuSeconds }]));

describe('cpuBreakdown', () => {
  it('attributes CPU used between two snapshots to roles, in µs per task, highest first', async () => {
    const before = snap([
      [90_000_001, 'node', 10],
      [90_000_002, 'node', 5],
      [90_000_003, 'dockerd', 1],
      [90_000_004, 'containerd-shim', 0.5],
    ]);
    const after = snap([
      [90_000_001, 'node', 12], // worker: 2 s
      [90_000_002, 'node', 5.5], // bench: 0.5 s
      [90_000_003, 'dockerd', 1.4], // 0.4 s
      [90_000_004, 'containerd-shim', 0.6], // 0.1 s
      [90_000_005, 'sh', 0.2], // started in between: counts from zero
    ]);
    const rows = await cpuBreakdown(before, after, 10_000, { workerPid: 90_000_001, benchPid: 90_000_002 });
    expect(rows.map((r) => r.role)).toEqual([
      'worker',
      'bench (producer, result follower)',
      'dockerd',
      'other',
      'containerd and shims',
    ]);
    expect(rows[0]?.microsPerTask).toBeCloseTo(200, 6);
    expect(rows[2]?.microsPerTask).toBeCloseTo(40, 6);
    expect(rows[3]?.microsPerTask).toBeCloseTo(20, 6);
  });
});
