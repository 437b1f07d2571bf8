import type { Registry } from 'prom-client';

/** One exposition line's data, as prom-client's registry formats it. */
interface HistogramValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName: string;
}

/** What prom-client's registry reads from a metric when it is scraped. */
interface HistogramSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: readonly HistogramValue[];
}

interface Series {
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram with one label, `stack`, for the worker's per-task durations: an
 * observation is a bucket search and three additions (no label object, validation or hashing, as
 * prom-client's Histogram does per call), which matters at thousands of tasks per second.
 *
 * Contract: registered in `registry` under `name`; its exposition is the same as prom-client's
 * Histogram with `labelNames: ['stack']` and these buckets (cumulative `_bucket` series with `le`,
 * then `_sum` and `_count`, per stack in first-observed order). Non-finite or negative values are
 * the caller's to filter.
 */
export class StackHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: Float64Array;
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
    registry: Registry,
  ) {
    this.bounds = Float64Array.from([...buckets].sort((a, b) => a - b));
    // prom-client's registry takes any object with name, help, type, aggregator, get and reset.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  observe(stack: string, value: number): void {
    let s = this.series.get(stack);
    if (s === undefined) {
      s = { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.series.set(stack, s);
    }
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (s.counts as Float64Array)[i] = (s.counts[i] as number) + 1;
    s.sum += value;
    s.count += 1;
  }

  reset(): void {
    this.series.clear();
  }

  async get(): Promise<HistogramSnapshot> {
    const values: HistogramValue[] = [];
    for (const [stack, s] of this.series) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += s.counts[i] as number;
        const le = i < this.bounds.length ? (this.bounds[i] as number) : '+Inf';
        values.push({ labels: { le, stack }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { stack }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { stack }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}
