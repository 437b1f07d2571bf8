import { METRIC } from '../observability/metric-names.js';
import {
  type HistogramSnapshot,
  histogramDelta,
  histogramQuantile,
  parseHistogram,
} from './prometheus-histogram.js';

/** Overhead observations between two scrapes: how many, and their p50/p99 in ms (NaN when none). */
export interface ScrapedOverhead {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** A worker process's berth_task_overhead_seconds histogram now; null when /metrics cannot be read. */
export async function scrapeOverhead(url: string | null): Promise<HistogramSnapshot | null> {
  if (url === null) return null;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return res.ok ? parseHistogram(await res.text(), METRIC.taskOverheadSeconds) : null;
  } catch {
    return null;
  }
}

/**
 * The overhead observed between scrape `before` (null: since the worker started) and `after`
 * (quantiles interpolated within buckets); null when `after` could not be read.
 */
export function overheadBetween(
  before: HistogramSnapshot | null,
  after: HistogramSnapshot | null,
): ScrapedOverhead | null {
  if (after === null) return null;
  const delta = histogramDelta(after, before);
  return {
    count: delta.count,
    p50Ms: histogramQuantile(delta, 0.5) * 1000,
    p99Ms: histogramQuantile(delta, 0.99) * 1000,
  };
}
