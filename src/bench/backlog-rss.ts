import { taskEventCodec } from '../codecs/task-event-codec.js';
import { deleteBerthTopics, ensureTopics } from '../kafka/kafka-admin.js';
import type { createKafka } from '../kafka/kafka-connection.js';
import { LagProbe } from '../kafka/lag-probe.js';
import { RecordProducer } from '../kafka/record-producer.js';
import { topicNames } from '../kafka/topic-names.js';
import { pushPackage } from './package-push.js';
import { RssSampler, type RssSummary, summarizeRss } from './process-rss.js';
import { countResultStatuses } from './result-statuses.js';
import { type TrivialTaskKind, type TrivialTaskOptions, trivialTaskEvent } from './trivial-task-events.js';
import { WorkerProcess } from './worker-process.js';

export interface BacklogRssOptions {
  readonly kafka: ReturnType<typeof createKafka>;
  /** Tasks on berth.tasks before the worker starts. */
  readonly backlog: number;
  /** Default `rejected`: never touches a container, still intake → publish → commit. */
  readonly kind?: TrivialTaskKind;
  /** For `function` (required there): a package directory (berth.json) pushed to the fresh prefix first. */
  readonly packageDir?: string;
  readonly taskOptions?: TrivialTaskOptions;
  /** Fresh prefix for the seven topics (deleted afterwards); default `backlog-<random>`. */
  readonly topicPrefix?: string;
  readonly tasksPartitions?: number;
  readonly brokers?: readonly string[];
  /** Labels on the worker's containers (so the bench can remove them). */
  readonly containerLabels?: Readonly<Record<string, string>>;
  /** More `berth worker` flags (e.g. ['--slots', '4']). */
  readonly workerArgs?: readonly string[];
  /** Flags for node itself when it runs the worker. */
  readonly workerNodeArgs?: readonly string[];
  /** Give up on the drain after this long; default 30 minutes. */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
  /** The CLI that runs the worker and pushes the package; default the one next to this module. */
  readonly cli?: string;
}

export interface BacklogRssFigures {
  readonly backlog: number;
  readonly kind: TrivialTaskKind;
  readonly produceSeconds: number;
  /** Worker spawned → first result on the topic. */
  readonly startupSeconds: number | null;
  /** Results on berth.results when the drain ended (complete or not). */
  readonly results: number;
  /**
   * Those results per status, read back after the clock stopped (e.g. { REJECTED: 1000000 });
   * a drain of the wrong statuses (a function backlog answered REJECTED) would measure another path.
   */
  readonly statuses: Readonly<Record<string, number>>;
  /** The status every task of this kind must end with: REJECTED for `rejected`, else SUCCEEDED. */
  readonly expectedStatus: string;
  readonly complete: boolean;
  /** First result → last result (or → the timeout). */
  readonly drainSeconds: number;
  readonly tasksPerSecond: number;
  /** Worker VmRSS over the drain, sampled every second. */
  readonly rss: RssSummary | null;
  /** How the worker ended after SIGTERM (`exit 0`, `signal SIGKILL`, …) and its last stderr lines. */
  readonly workerExit: string;
  readonly workerStderrTail: readonly string[];
}

const CHUNK = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Produces `count` pre-encoded trivial tasks in batched sends, encoding a chunk while the last is sent. */
async function produceBacklog(
  producer: RecordProducer,
  topic: string,
  count: number,
  kind: TrivialTaskKind,
  opts: TrivialTaskOptions,
  run: string,
): Promise<void> {
  let inFlight: Promise<void> = Promise.resolve();
  for (let i = 0; i < count; i += CHUNK) {
    const records = Array.from({ length: Math.min(CHUNK, count - i) }, (_, j) => {
      const id = `${run}-${i + j}`;
      return { key: id, value: taskEventCodec.encode(trivialTaskEvent(kind, id, opts)), headers: {} };
    });
    await inFlight;
    inFlight = producer.send(topic, records);
  }
  await inFlight;
}

/**
 * Worker memory under a large backlog: fills berth.tasks of a fresh prefix with `backlog`
 * trivial tasks, starts a real worker process (`node dist/cli/main.js worker`), samples its
 * VmRSS every second while it drains (until berth.results holds one result per task) and reports
 * RSS at the start of the drain, its maximum and at the end, with drain time and tasks/s.
 * Stops the worker with SIGTERM and deletes the topics.
 */
export async function backlogRss(opts: BacklogRssOptions): Promise<BacklogRssFigures> {
  const kind = opts.kind ?? 'rejected';
  const log = opts.log ?? (() => {});
  const prefix = opts.topicPrefix ?? `backlog-${Date.now().toString(36)}`;
  const topics = topicNames(prefix);
  await ensureTopics(opts.kafka, prefix, opts.tasksPartitions ?? 2);
  const brokers = opts.brokers ?? ['127.0.0.1:9092'];
  const producer = new RecordProducer(opts.kafka);
  const probe = new LagProbe(opts.kafka);
  let child: WorkerProcess | null = null;
  try {
    let taskOptions = opts.taskOptions ?? {};
    if (kind === 'function') {
      if (opts.packageDir === undefined) throw new Error('backlog: kind function needs a package dir');
      const functionPackage = await pushPackage(opts.packageDir, prefix, brokers, opts.cli);
      taskOptions = { ...taskOptions, functionPackage };
    }
    await producer.connect();
    const p0 = performance.now();
    await produceBacklog(producer, topics.tasks, opts.backlog, kind, taskOptions, prefix);
    const produceSeconds = (performance.now() - p0) / 1000;
    await producer.disconnect();
    log(`backlog: ${opts.backlog} ${kind} tasks produced in ${produceSeconds.toFixed(1)} s`);

    const worker = new WorkerProcess({
      topicPrefix: prefix,
      ...(opts.workerNodeArgs === undefined ? {} : { nodeArgs: opts.workerNodeArgs }),
      workerId: `${prefix}-worker`,
      brokers,
      ...(opts.cli === undefined ? {} : { cli: opts.cli }),
      ...(opts.containerLabels === undefined ? {} : { containerLabels: opts.containerLabels }),
      args: [
        // A rejected task needs no container; a shell task only the shell stack's.
        ...(kind === 'rejected' ? ['--warm-pool-size', '0'] : []),
        ...(kind === 'shell' ? ['--prewarm-stacks', opts.taskOptions?.shellStack ?? 'shell'] : []),
        ...(opts.workerArgs ?? []),
      ],
    });
    child = worker;
    const spawnedAt = worker.spawnedAtMs;
    const sampler = new RssSampler(worker.pid);
    sampler.start();

    const deadline = spawnedAt + (opts.timeoutMs ?? 30 * 60_000);
    let firstAt: number | null = null;
    let lastAt = spawnedAt;
    let results = 0;
    let lastLog = Date.now();
    while (Date.now() < deadline && worker.running) {
      const highs = await probe.highWatermarks(topics.results);
      const now = Date.now();
      const seen = [...highs.values()].reduce((a, b) => a + Number(b), 0);
      if (seen > results) lastAt = now;
      results = seen;
      if (firstAt === null && results > 0) firstAt = now;
      if (results >= opts.backlog) break;
      if (now - lastLog >= 10_000) {
        lastLog = now;
        const rss = sampler.samples.at(-1);
        const mib = rss === undefined ? '?' : (rss.bytes / 2 ** 20).toFixed(1);
        log(
          `backlog: ${results}/${opts.backlog} results after ${((now - spawnedAt) / 1000).toFixed(0)} s, RSS ${mib} MiB`,
        );
      }
      await sleep(250);
    }
    const complete = results >= opts.backlog;
    const endAt = complete ? lastAt : Date.now();
    await sampler.sampleNow();
    sampler.stop();
    const workerExit = await worker.stop(60_000);
    const drainSeconds = firstAt === null ? 0 : (endAt - firstAt) / 1000;
    const rss = firstAt === null ? null : summarizeRss(sampler.samples, firstAt - 1000, Date.now());
    log(`backlog: reading the ${results} results back for their statuses`);
    const statuses = await countResultStatuses(opts.kafka, topics.results, 10 * 60_000);
    return {
      backlog: opts.backlog,
      kind,
      produceSeconds,
      startupSeconds: firstAt === null ? null : (firstAt - spawnedAt) / 1000,
      results,
      statuses,
      expectedStatus: kind === 'rejected' ? 'REJECTED' : 'SUCCEEDED',
      complete,
      drainSeconds,
      tasksPerSecond: drainSeconds > 0 ? results / drainSeconds : 0,
      rss,
      workerExit,
      workerStderrTail: [...worker.stderrTail],
    };
  } finally {
    if (child?.running) await child.stop(10_000);
    await producer.disconnect();
    await probe.close();
    await deleteBerthTopics(opts.kafka, prefix).catch(() => undefined);
  }
}
