import { METRIC } from '../observability/metric-names.js';
import { type HistogramSnapshot, parseHistogram } from './prometheus-histogram.js';

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
