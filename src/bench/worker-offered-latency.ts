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
import { resultStatusOf } from './result-statuses.js';
import { type TrivialTaskKind, trivialTaskEvent } from './trivial-task-events.js';
import { overheadBetween, type ScrapedOverhead, scrapeOverhead } from './worker-metrics-scrape.js';
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
  /**
   * Seconds at the offered rate right after the warm-up, measured and reported apart, before the
   * timed window: a freshly started worker still compiles its hot path and starts containers
   * then. 0 (default): the timed window starts right after the warm-up.
   */
  readonly settleSeconds?: number;
  /** Fresh prefix for the seven topics (deleted afterwards); default `offered-<random>`. */
  readonly topicPrefix?: string;
  readonly log?: (line: string) => void;
}

/** The worker's berth_task_overhead_seconds over a window's tasks; null when /metrics was unread. */
export type OfferedOverhead = ScrapedOverhead | null;

/** One window at the offered rate. */
export interface OfferedWindow {
  readonly seconds: number;
  readonly latency: OfferedLatencyFigures;
  readonly overhead: OfferedOverhead;
}

export interface WorkerOfferedLatencyFigures extends OfferedLatencyFigures {
  readonly kind: TrivialTaskKind;
  readonly codeName: string | null;
  /** Results seen per status (warm-up and settling window included), e.g. { SUCCEEDED: 501 }. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly workerExit: string;
  /**
   * The worker's berth_task_overhead_seconds over the timed tasks (its /metrics histogram after
   * the timed window's drain less before it; quantiles interpolated within buckets); null when unread.
   */
  readonly overhead: OfferedOverhead;
  /** The settling window (`settleSeconds` after the warm-up, before the timed one); null without one. */
  readonly settling: OfferedWindow | null;
}

/**
 * Produced → result latency through a real worker process at a fixed offered rate: fresh topics,
 * optionally a pushed package, one warm-up task answered before the clock starts, optionally a
 * settling window at the rate (reported apart), then the timed `offeredLatency` window, with a
 * follower of berth.results keyed by task id (the record key).
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
    log(
      `offered latency: worker answered the warm-up after ${((Date.now() - worker.spawnedAtMs) / 1000).toFixed(1)} s`,
    );
    // One window at the offered rate: produced → result per task, and the worker's overhead
    // histogram over the window's tasks (scraped before and after).
    const atRate = async (ids: string, durationSeconds: number): Promise<OfferedWindow> => {
      const before = await scrapeOverhead(metricsUrl);
      const latency = await offeredLatency({
        ratePerSecond: opts.ratePerSecond,
        durationSeconds,
        makeEvent: (i, nowMs) => make(`${ids}-${i}`, nowMs),
        produce: send,
        results: (onResult) => {
          listeners.add(onResult);
          return () => listeners.delete(onResult);
        },
        drainTimeoutMs: 60_000,
      });
      const overhead = overheadBetween(before, await scrapeOverhead(metricsUrl));
      return { seconds: durationSeconds, latency, overhead };
    };
    const settleSeconds = opts.settleSeconds ?? 0;
    const settling = settleSeconds > 0 ? await atRate(`${prefix}-settling`, settleSeconds) : null;
    const timed = await atRate(prefix, opts.durationSeconds);
    const workerExit = await worker.stop();
    return {
      ...timed.latency,
      kind: opts.kind,
      codeName,
      statuses,
      workerExit,
      overhead: timed.overhead,
      settling,
    };
  } finally {
    if (worker?.running) await worker.stop(10_000);
    await follower?.stop();
    await producer.disconnect();
    await deleteBerthTopics(opts.kafka, prefix).catch(() => undefined);
  }
}
