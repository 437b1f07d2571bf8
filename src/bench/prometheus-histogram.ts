/** A Prometheus histogram summed over its label sets: cumulative counts per upper bound. */
export interface HistogramSnapshot {
  /** Ascending upper bounds, `Infinity` last, with their cumulative counts. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly count: number;
}

const BUCKET_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)_bucket\{(.*)\}\s+(\S+)/;

function leOf(labels: string): number | null {
  const m = /(?:^|,)le="([^"]*)"/.exec(labels);
  if (m?.[1] === undefined) return null;
  return m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/** The `name` histogram in Prometheus text format, summed over label sets; null when absent. */
export function parseHistogram(text: string, name: string): HistogramSnapshot | null {
  const byLe = new Map<number, number>();
  for (const line of text.split('\n')) {
    const m = BUCKET_LINE.exec(line);
    if (!m || m[1] !== name || m[2] === undefined || m[3] === undefined) continue;
    const le = leOf(m[2]);
    const value = Number(m[3]);
    if (le === null || Number.isNaN(le) || !Number.isFinite(value)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + value);
  }
  if (byLe.size === 0) return null;
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
  return { buckets, count: buckets.at(-1)?.count ?? 0 };
}

/** What was observed between two snapshots of one histogram (`before` null: since the start). */
export function histogramDelta(
  after: HistogramSnapshot,
  before: HistogramSnapshot | null,
): HistogramSnapshot {
  const prior = new Map(before?.buckets.map((b) => [b.le, b.count]) ?? []);
  const buckets = after.buckets.map((b) => ({ le: b.le, count: b.count - (prior.get(b.le) ?? 0) }));
  return { buckets, count: buckets.at(-1)?.count ?? 0 };
}

/**
 * The q-quantile (0..1) as Prometheus's histogram_quantile estimates it: linear within the bucket
 * that holds the rank, from the previous bound (0 for the first); the highest finite bound when
 * the rank falls in +Inf. NaN for an empty histogram.
 */
export function histogramQuantile(h: HistogramSnapshot, q: number): number {
  if (h.count <= 0) return Number.NaN;
  const rank = q * h.count;
  let lower = 0;
  let below = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return lower;
      const inBucket = b.count - below;
      return inBucket <= 0 ? b.le : lower + ((b.le - lower) * (rank - below)) / inBucket;
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}
