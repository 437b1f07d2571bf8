import { loadWorkerConfig } from '../config/worker-config.js';
import { composeWorker } from '../worker/compose-worker.js';
import type { Worker } from '../worker/worker.js';
import {
  type OverheadFigures,
  OverheadRecorder,
  overheadFigures,
  type PhaseFigures,
  phaseFigures,
} from './overhead-recorder.js';
import { readCpuSeconds } from './process-cpu.js';
import type { HistogramSnapshot } from './prometheus-histogram.js';
import { overheadBetween, scrapeOverhead } from './worker-metrics-scrape.js';
import { WorkerProcess } from './worker-process.js';

/** The bench worker's settings (a 2-core machine: 2 slots, deep prefetch, pipelined calls). */
export interface BenchWorkerSettings {
  readonly slots: number;
  readonly prefetch: number;
  readonly functionPipelineDepth: number;
}

export interface MeasuredWorkerOptions {
  readonly brokers: readonly string[];
  readonly topicPrefix: string;
  readonly settings: BenchWorkerSettings;
  readonly codeCacheDir: string;
  readonly containerLabels: Readonly<Record<string, string>>;
  /**
   * A child process (`berth worker`, as users run it), with these extra worker flags and node
   * flags; absent: a worker in this process.
   */
  readonly process?: { readonly args?: readonly string[]; readonly nodeArgs?: readonly string[] };
}

/** What the worker measured about the tasks it finished since the previous `take`. */
export interface MeasuredWorkerTake {
  readonly overhead: OverheadFigures;
  /** Empty for a worker process (its spans are not visible to the bench). */
  readonly phases: PhaseFigures;
}

/**
 * The worker a bench section drives. Contract: `start` resolves once the worker runs (it may
 * still be joining its group); `take` returns the overhead of the tasks finished since the
 * previous `take` (or since start); `cpuSeconds` is the worker process's CPU time so far (null in
 * this process, where the bench's own work would be counted too); `close` is idempotent.
 */
export interface MeasuredWorker {
  readonly mode: 'in-process' | 'process';
  /** The worker's process id (this process's when in process). */
  readonly pid: number;
  take(): Promise<MeasuredWorkerTake>;
  cpuSeconds(): Promise<number | null>;
  /** The worker's last log lines, for a report when something failed. */
  logTail(): readonly string[];
  close(): Promise<void>;
}

export async function startMeasuredWorker(opts: MeasuredWorkerOptions): Promise<MeasuredWorker> {
  return opts.process === undefined ? startInProcess(opts) : startChild(opts, opts.process);
}

async function startInProcess(opts: MeasuredWorkerOptions): Promise<MeasuredWorker> {
  const telemetry = new OverheadRecorder();
  const lines: string[] = [];
  const config = loadWorkerConfig(
    {
      brokers: opts.brokers.join(','),
      topicPrefix: opts.topicPrefix,
      workerId: `${opts.topicPrefix}-worker`,
      slots: String(opts.settings.slots),
      prefetch: String(opts.settings.prefetch),
      functionPipelineDepth: String(opts.settings.functionPipelineDepth),
      warmPoolSize: '0',
      metricsPort: '0',
      codeCacheDir: opts.codeCacheDir,
      containerLabels: labelList(opts.containerLabels),
    },
    {},
  );
  const worker: Worker = composeWorker(config, {
    telemetry,
    log: (l) => {
      lines.push(l);
      lines.splice(0, Math.max(0, lines.length - 10));
    },
  });
  await worker.start();
  let closed: Promise<void> | null = null;
  return {
    mode: 'in-process',
    pid: process.pid,
    take: async () => ({
      overhead: overheadFigures(telemetry.take()),
      phases: phaseFigures(telemetry.takeStretches()),
    }),
    cpuSeconds: async () => null,
    logTail: () => lines,
    close: () => {
      closed ??= worker.close().catch(() => undefined);
      return closed;
    },
  };
}

async function startChild(
  opts: MeasuredWorkerOptions,
  child: NonNullable<MeasuredWorkerOptions['process']>,
): Promise<MeasuredWorker> {
  const s = opts.settings;
  const worker = new WorkerProcess({
    topicPrefix: opts.topicPrefix,
    workerId: `${opts.topicPrefix}-worker`,
    brokers: opts.brokers,
    containerLabels: opts.containerLabels,
    ...(child.nodeArgs === undefined ? {} : { nodeArgs: child.nodeArgs }),
    args: [
      ...['--slots', String(s.slots), '--prefetch', String(s.prefetch)],
      ...['--function-pipeline-depth', String(s.functionPipelineDepth), '--warm-pool-size', '0'],
      ...['--code-cache-dir', opts.codeCacheDir],
      ...(child.args ?? []),
    ],
  });
  const url = await worker.metricsUrl(30_000);
  if (url === null) throw new Error(`worker process did not serve metrics: ${worker.stderrTail.join(' | ')}`);
  let before: HistogramSnapshot | null = await scrapeOverhead(url);
  let closed: Promise<void> | null = null;
  return {
    mode: 'process',
    pid: worker.pid,
    take: async () => {
      const after = await scrapeOverhead(url);
      const o = overheadBetween(before, after);
      before = after ?? before;
      return {
        overhead: {
          count: o?.count ?? 0,
          p50Ms: o?.p50Ms ?? Number.NaN,
          p99Ms: o?.p99Ms ?? Number.NaN,
          maxMs: Number.NaN,
        },
        phases: {},
      };
    },
    cpuSeconds: () => readCpuSeconds(worker.pid),
    logTail: () => worker.stderrTail,
    close: () => {
      closed ??= worker.stop(30_000).then(() => undefined);
      return closed;
    },
  };
}

function labelList(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
