import { describe, expect, it } from 'vitest';
import { histogramDelta, histogramQuantile, parseHistogram } from '../../src/bench/prometheus-histogram.js';
import { overheadBetween } from '../../src/bench/worker-metrics-scrape.js';

const TEXT = `# HELP berth_task_overhead_seconds x
# TYPE berth_task_overhead_seconds histogram
berth_task_overhead_seconds_bucket{le="0.001",stack="node-20"} 2
berth_task_overhead_seconds_bucket{le="0.002",stack="node-20"} 6
berth_task_overhead_seconds_bucket{le="+Inf",stack="node-20"} 8
berth_task_overhead_seconds_sum{stack="node-20"} 0.5
berth_task_overhead_seconds_count{stack="node-20"} 8
berth_task_overhead_seconds_bucket{stack="python-3.11",le="0.001"} 2
berth_task_overhead_seconds_bucket{stack="python-3.11",le="0.002"} 2
berth_task_overhead_seconds_bucket{stack="python-3.11",le="+Inf"} 2
berth_task_run_seconds_bucket{le="0.001",stack="node-20"} 100
`;

describe('parseHistogram', () => {
  it('sums the buckets of every label set, in bound order', () => {
    const h = parseHistogram(TEXT, 'berth_task_overhead_seconds');
    expect(h).toEqual({
      buckets: [
        { le: 0.001, count: 4 },
        { le: 0.002, count: 8 },
        { le: Number.POSITIVE_INFINITY, count: 10 },
      ],
      count: 10,
    });
  });

  it('is null for a histogram that is not there', () => {
    expect(parseHistogram(TEXT, 'berth_nothing_seconds')).toBeNull();
  });
});

describe('histogramDelta and histogramQuantile', () => {
  const h = parseHistogram(TEXT, 'berth_task_overhead_seconds');
  if (h === null) throw new Error('no histogram');

  it('interpolates within the bucket holding the rank', () => {
    expect(histogramQuantile(h, 0.2)).toBeCloseTo(0.0005);
    expect(histogramQuantile(h, 0.6)).toBeCloseTo(0.0015);
    // In +Inf: the highest finite bound.
    expect(histogramQuantile(h, 0.99)).toBe(0.002);
  });

  it('subtracts an earlier snapshot', () => {
    const before = {
      buckets: [
        { le: 0.001, count: 4 },
        { le: 0.002, count: 4 },
        { le: Number.POSITIVE_INFINITY, count: 4 },
      ],
      count: 4,
    };
    const d = histogramDelta(h, before);
    expect(d.buckets.map((b) => b.count)).toEqual([0, 4, 6]);
    expect(d.count).toBe(6);
    expect(histogramQuantile(d, 0.5)).toBeCloseTo(0.00175);
    expect(histogramDelta(h, null)).toEqual(h);
  });

  it('is NaN when nothing was observed', () => {
    expect(histogramQuantile({ buckets: [{ le: 1, count: 0 }], count: 0 }, 0.5)).toBeNaN();
  });
});

describe('overheadBetween', () => {
  const after = parseHistogram(TEXT, 'berth_task_overhead_seconds');
  if (after === null) throw new Error('no histogram');
  const before = {
    buckets: [
      { le: 0.001, count: 4 },
      { le: 0.002, count: 4 },
      { le: Number.POSITIVE_INFINITY, count: 4 },
    ],
    count: 4,
  };

  it('counts and ranks only what was observed between the two scrapes, in ms', () => {
    // Between the scrapes: 4 observations in (1 ms, 2 ms], 2 above 2 ms.
    const o = overheadBetween(before, after);
    expect(o?.count).toBe(6);
    expect(o?.p50Ms).toBeCloseTo(1.75);
    expect(overheadBetween(null, after)?.count).toBe(10);
  });

  it('is null when the later scrape could not be read', () => {
    expect(overheadBetween(before, null)).toBeNull();
  });
});
