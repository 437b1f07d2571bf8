import { taskEventCodec } from '../codecs/task-event-codec.js';
import type { TaskEvent } from '../domain/task-event.js';
import { deleteBerthTopics, ensureTopics } from '../kafka/kafka-admin.js';
import type { createKafka } from '../kafka/kafka-connection.js';
import { RecordProducer } from '../kafka/record-producer.js';
import { TailConsumer } from '../kafka/tail-consumer.js';
import { topicNames } from '../kafka/topic-names.js';
import { startFollower } from './follow-results.js';
import { type ArrivedResult, type OfferedLatencyFigures, offeredLatency } from './offered-latency.js';
import { pushPackage } from './package-push.js';
import { histogramDelta, histogramQuantile } from './prometheus-histogram.js';
import { resultStatusOf } from './result-statuses.js';
import { type TrivialTaskKind, trivialTaskEvent } from './trivial-task-events.js';
import { scrapeOverhead } from './worker-metrics-scrape.js';
import { WorkerProcess } from './worker-process.js';

export interface WorkerOfferedLatencyOptions {
  readonly kafka: ReturnType<typeof createKafka>;
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  readonly kind: TrivialTaskKind;
  /** For `function`: a package directory (berth.json) pushed to the fresh prefix first. */
  readonly packageDir?: string;
  /** For `shell`: the stack; default `shell`. */
  readonly shellStack?: string;
  readonly brokers?: readonly string[];
  readonly containerLabels?: Readonly<Record<string, string>>;
  readonly workerArgs?: readonly string[];
  /** Flags for node itself when it runs the worker. */
  readonly workerNodeArgs?: readonly string[];
  readonly tasksPartitions?: number;
  /** Fresh prefix for the seven topics (deleted afterwards); default `offered-<random>`. */
  readonly topicPrefix?: string;
  readonly log?: (line: string) => void;
}

export interface WorkerOfferedLatencyFigures extends OfferedLatencyFigures {
  readonly kind: TrivialTaskKind;
  readonly codeName: string | null;
  /** Results seen per status (warm-up included), e.g. { SUCCEEDED: 501 }. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly workerExit: string;
  /**
   * The worker's berth_task_overhead_seconds over the timed tasks (its /metrics histogram after
   * the drain less after the warm-up; quantiles interpolated within buckets); null when unread.
   */
  readonly overhead: { readonly count: number; readonly p50Ms: number; readonly p99Ms: number } | null;
}

/**
 * Produced → result latency through a real worker process at a fixed offered rate: fresh topics,
 * optionally a pushed package, one warm-up task answered before the clock starts, then
 * `offeredLatency` with a follower of berth.results keyed by task id (the record key).
 */
export async function workerOfferedLatency(
  opts: WorkerOfferedLatencyOptions,
): Promise<WorkerOfferedLatencyFigures> {
  const log = opts.log ?? (() => {});
  const brokers = opts.brokers ?? ['127.0.0.1:9092'];
  const prefix = opts.topicPrefix ?? `offered-${Date.now().toString(36)}`;
  const topics = topicNames(prefix);
  await ensureTopics(opts.kafka, prefix, opts.tasksPartitions ?? 2);
  const producer = new RecordProducer(opts.kafka);
  const listeners = new Set<(r: ArrivedResult) => void>();
  const statuses: Record<string, number> = {};
  const newFollower = () =>
    new TailConsumer({
      kafka: opts.kafka,
      topic: topics.results,
      groupId: `${prefix}-bench-results`,
      // From the topic's start (it is fresh), so no result written before the group joined is lost.
      rewindMs: 24 * 60 * 60 * 1000,
      onRecord: (r) => {
        if (r.key === null) return;
        const status = resultStatusOf(r.value);
        statuses[status] = (statuses[status] ?? 0) + 1;
        const result = { id: r.key.toString(), arrivedAtMs: Date.now() };
        for (const l of listeners) l(result);
      },
    });
  let follower: TailConsumer | null = null;
  let worker: WorkerProcess | null = null;
  try {
    let codeName: string | null = null;
    if (opts.kind === 'function') {
      if (opts.packageDir === undefined)
        throw new Error('offered latency: kind function needs a package dir');
      codeName = await pushPackage(opts.packageDir, prefix, brokers);
    }
    const make = (id: string, createdAtMs: number): TaskEvent =>
      trivialTaskEvent(opts.kind, id, {
        createdAtMs,
        ...(codeName === null ? {} : { functionPackage: codeName }),
        ...(opts.shellStack === undefined ? {} : { shellStack: opts.shellStack }),
      });
    const send = (events: readonly TaskEvent[]) =>
      producer.send(
        topics.tasks,
        events.map((e) => ({ key: e.id, value: taskEventCodec.encode(e), headers: {} })),
      );
    await producer.connect();
    follower = await startFollower(newFollower);
    worker = new WorkerProcess({
      topicPrefix: prefix,
      ...(opts.workerNodeArgs === undefined ? {} : { nodeArgs: opts.workerNodeArgs }),
      workerId: `${prefix}-worker`,
      brokers,
      ...(opts.containerLabels === undefined ? {} : { containerLabels: opts.containerLabels }),
      args: opts.workerArgs ?? [],
    });

    // Warm-up: the worker has joined its group (and loaded what the first task needs) once this is answered.
    const warmId = `${prefix}-warmup`;
    const warmed = new Promise<void>((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error('offered latency: no answer to the warm-up task in 120 s')),
        120_000,
      );
      listeners.add((r) => {
        if (r.id === warmId) {
          clearTimeout(timer);
          res();
        }
      });
    });
    await send([make(warmId, Date.now())]);
    await warmed;
    const metricsUrl = await worker.metricsUrl(10_000);
    const overheadBefore = await scrapeOverhead(metricsUrl);
    log(
      `offered latency: worker answered the warm-up after ${((Date.now() - worker.spawnedAtMs) / 1000).toFixed(1)} s`,
    );

    const figures = await offeredLatency({
      ratePerSecond: opts.ratePerSecond,
      durationSeconds: opts.durationSeconds,
      makeEvent: (i, nowMs) => make(`${prefix}-${i}`, nowMs),
      produce: send,
      results: (onResult) => {
        listeners.add(onResult);
        return () => listeners.delete(onResult);
      },
      drainTimeoutMs: 60_000,
    });
    const overheadAfter = await scrapeOverhead(metricsUrl);
    const delta = overheadAfter === null ? null : histogramDelta(overheadAfter, overheadBefore);
    const overhead =
      delta === null
        ? null
        : {
            count: delta.count,
            p50Ms: histogramQuantile(delta, 0.5) * 1000,
            p99Ms: histogramQuantile(delta, 0.99) * 1000,
          };
    const workerExit = await worker.stop();
    return { ...figures, kind: opts.kind, codeName, statuses, workerExit, overhead };
  } finally {
    if (worker?.running) await worker.stop(10_000);
    await follower?.stop();
    await producer.disconnect();
    await deleteBerthTopics(opts.kafka, prefix).catch(() => undefined);
  }
}
