import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushCodePackage } from '../code/code-push.js';
import { taskEventCodec } from '../codecs/task-event-codec.js';
import { taskResultCodec } from '../codecs/task-result-codec.js';
import type { TaskEvent } from '../domain/task-event.js';
import { KafkaCodeTopic } from '../kafka/code-topic.js';
import { deleteBerthTopics, ensureTopics } from '../kafka/kafka-admin.js';
import type { createKafka } from '../kafka/kafka-connection.js';
import { RecordProducer } from '../kafka/record-producer.js';
import { TailConsumer } from '../kafka/tail-consumer.js';
import { topicNames } from '../kafka/topic-names.js';
import type { OutgoingRecord } from '../publishing/record-producer-port.js';
import { type BenchPackage, benchPayload, writeBenchPackage } from './bench-packages.js';
import { cpuBreakdown, snapshotCpu } from './cpu-breakdown.js';
import { startFollower } from './follow-results.js';
import { type BenchWorkerSettings, type MeasuredWorker, startMeasuredWorker } from './measured-worker.js';
import { type OfferedLatencyFigures, offeredLatency } from './offered-latency.js';
import type { OverheadFigures, PhaseFigures } from './overhead-recorder.js';
import { ResultTally, type TallySummary, tallyVerdict } from './result-tally.js';

export type { BenchWorkerSettings } from './measured-worker.js';

export interface PackageThroughputOptions {
  readonly kafka: ReturnType<typeof createKafka>;
  readonly brokers: readonly string[];
  /** Fresh prefix for the seven topics (deleted afterwards). */
  readonly topicPrefix: string;
  readonly pkg: BenchPackage;
  /** Timed tasks, produced at once after the warm-up. */
  readonly tasks: number;
  /** Tasks answered before the clock starts (containers created, runtimes loaded, group joined). */
  readonly warmup: number;
  readonly worker: BenchWorkerSettings;
  /** Labels on the worker's containers (so the bench can remove them). */
  readonly containerLabels: Readonly<Record<string, string>>;
  readonly tasksPartitions?: number;
  /**
   * Tasks name the pushed revision instead of the newest (revision null, which makes the worker's
   * code catalog catch up with berth.code before each plan). Default false.
   */
  readonly pinRevision?: boolean;
  /**
   * After the timed run, tasks offered at this rate through the same worker (well below its
   * capacity): the overhead and latency without a backlog. The overhead of those finished in the
   * first `settleSeconds` (right after the drain) is reported apart from the rest (steady). Null or
   * absent: skipped.
   */
  readonly paced?: {
    readonly ratePerSecond: number;
    readonly seconds: number;
    readonly settleSeconds?: number;
  } | null;
  /** Give up waiting for the timed results after this long; default 10 minutes. */
  readonly timeoutMs?: number;
  /**
   * Run the worker as a child process (`berth worker`, as users run it) instead of in this
   * process: the bench's own producing and following then does not share its event loop. Its
   * overhead figures come from its berth_task_overhead_seconds histogram (no span stretches, no
   * max), and its CPU time per task is measured. Absent: an in-process worker.
   */
  readonly workerProcess?: { readonly args?: readonly string[]; readonly nodeArgs?: readonly string[] };
  /**
   * `backlog` (worker process only): the timed tasks are on the topic before the worker reads
   * them — it is stopped (SIGSTOP) while they are produced and continued (SIGCONT) when the clock
   * starts, as the bare KafkaJS loop drains records produced before its clock. `live`: produced
   * while the worker runs, the clock from the first produce. Default `backlog` for a process.
   */
  readonly timedMode?: 'backlog' | 'live';
  readonly log?: (line: string) => void;
}

export interface PackageThroughputFigures {
  readonly pkg: Pick<BenchPackage, 'kind' | 'name' | 'description'>;
  readonly worker: BenchWorkerSettings;
  readonly maxConcurrency: number;
  readonly tasks: number;
  readonly warmup: number;
  /** First produce of the timed tasks → their last result. */
  readonly seconds: number;
  readonly tasksPerSecond: number;
  /** First produce → the last produce acknowledged. */
  readonly produceSeconds: number;
  /** How the timed tasks were offered (see `PackageThroughputOptions.timedMode`). */
  readonly timedMode: 'backlog' | 'live';
  readonly tally: TallySummary;
  /** Null when every timed task was answered, SUCCEEDED and right. */
  readonly verdict: string | null;
  /** The worker's own per-task overhead (consumed → result acked − run), SUCCEEDED timed tasks. */
  readonly overhead: OverheadFigures;
  /** How long each stretch of a timed task's span took in the worker. */
  readonly phases: PhaseFigures;
  readonly paced: PacedFigures | null;
  readonly undecodable: number;
  /** Where the worker ran. */
  readonly workerMode: 'in-process' | 'process';
  /** The worker process's CPU time (user + system) per timed task, ms; null in process. */
  readonly workerCpuMsPerTask: number | null;
  /**
   * Machine-wide CPU time per timed task by the part of the system that used it (worker, bench,
   * processes in containers by command, dockerd, containerd, broker, other), highest first.
   */
  readonly cpuByRole: readonly { readonly role: string; readonly microsPerTask: number }[];
}

/** Tasks offered at a fixed rate through the warm worker after the timed run. */
export interface PacedFigures {
  /** Produced (createdAtMs) → result arrived at the bench. */
  readonly latency: OfferedLatencyFigures;
  /** Overhead of the tasks finished after the first `settleSeconds` of the window (steady). */
  readonly overhead: OverheadFigures;
  /** Overhead of the tasks finished in the first `settleSeconds` (null when that is 0). */
  readonly settling: { readonly seconds: number; readonly overhead: OverheadFigures } | null;
  readonly phases: PhaseFigures;
  readonly tally: TallySummary;
  readonly verdict: string | null;
}

const CHUNK = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The package a task calls: by name, at a pinned revision or the newest (null). */
interface CodeRef {
  readonly name: string;
  readonly revision: number | null;
}

function taskEvent(id: string, code: CodeRef, payload: Uint8Array): TaskEvent {
  return {
    id,
    code: { name: code.name, revision: code.revision },
    inline: null,
    payload,
    priority: 1,
    timeoutMs: 10_000,
    maxAttempts: 1,
    attempt: 1,
    memoryBytes: null,
    network: null,
    labels: {},
    createdAtMs: Date.now(),
  };
}

/** Encodes tasks `ids` (payload per task) and registers each with `tally`. */
function encodeTasks(ids: readonly string[], code: CodeRef, tally: ResultTally): OutgoingRecord[] {
  return ids.map((id, i) => {
    const payload = benchPayload(id, i);
    tally.expect(id, payload);
    return { key: id, value: taskEventCodec.encode(taskEvent(id, code, payload)), headers: {} };
  });
}

async function waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(20);
  }
}

/**
 * Throughput of one code package through a real worker: fresh topics, the package pushed to
 * berth.code, a worker (a child process, or in this process with a telemetry that keeps each
 * task's platform overhead and span stretches; see `workerProcess`) and a follower of
 * berth.results. A warm-up of `warmup` tasks is
 * answered first; then `tasks` tasks with distinct payloads are produced at once, and the clock
 * runs from the first produce to the last result. Every result is checked (one per task,
 * SUCCEEDED, answering its own payload). Results are decoded as they arrive and only tallied.
 */
export async function packageThroughput(opts: PackageThroughputOptions): Promise<PackageThroughputFigures> {
  const log = opts.log ?? (() => {});
  const prefix = opts.topicPrefix;
  const topics = topicNames(prefix);
  const scratch = await mkdtemp(join(tmpdir(), `berth-bench-${opts.pkg.kind}-`));
  let worker: MeasuredWorker | null = null;
  let follower: TailConsumer | null = null;
  const producer = new RecordProducer(opts.kafka);
  try {
    await ensureTopics(opts.kafka, prefix, opts.tasksPartitions ?? 6);
    const pkgDir = join(scratch, 'package');
    await writeBenchPackage(pkgDir, opts.pkg);
    let code: CodeRef = { name: opts.pkg.name, revision: null };
    const codeTopic = new KafkaCodeTopic({ kafka: opts.kafka, topic: topics.code });
    try {
      const pushed = await pushCodePackage({ dir: pkgDir, topic: codeTopic, runTemplate: async () => null });
      code = { name: opts.pkg.name, revision: opts.pinRevision ? pushed.pkg.revision : null };
    } finally {
      await codeTopic.close();
    }

    const warm = new ResultTally(opts.pkg.check);
    const timed = new ResultTally(opts.pkg.check);
    const paced = new ResultTally(opts.pkg.check);
    const arrivals = new Set<(r: { id: string; arrivedAtMs: number }) => void>();
    const tallyOf = (id: string) => (warm.knows(id) ? warm : paced.knows(id) ? paced : timed);
    let undecodable = 0;
    let deferTimed = false;
    const timedSeen = new Set<string>();
    const timedRaw: { value: Buffer; arrivedAtMs: number }[] = [];
    follower = await startFollower(
      () =>
        new TailConsumer({
          kafka: opts.kafka,
          topic: topics.results,
          groupId: `${prefix}-bench-results`,
          // From the topic's start (it is fresh): no result written before the group joined is lost.
          rewindMs: 24 * 60 * 60 * 1000,
          onRecord: (r) => {
            if (r.value === null) return;
            const arrivedAtMs = Date.now();
            if (deferTimed && r.key !== null) {
              // Timed results are checked after the clock stops: while it runs the follower only
              // counts them by key (decoding every result would take CPU from the worker).
              const id = r.key.toString();
              if (timed.knows(id)) {
                timedSeen.add(id);
                timedRaw.push({ value: r.value, arrivedAtMs });
                return;
              }
            }
            try {
              const result = taskResultCodec.decode(r.value);
              tallyOf(result.id).record(result, arrivedAtMs);
              for (const l of arrivals) l({ id: result.id, arrivedAtMs });
            } catch {
              undecodable++;
            }
          },
        }),
    );
    await producer.connect();

    worker = await startMeasuredWorker({
      brokers: opts.brokers,
      topicPrefix: prefix,
      settings: opts.worker,
      codeCacheDir: join(scratch, 'code-cache'),
      containerLabels: opts.containerLabels,
      ...(opts.workerProcess === undefined ? {} : { process: opts.workerProcess }),
    });

    const w0 = Date.now();
    const warmIds = Array.from({ length: opts.warmup }, (_, i) => `${prefix}-w${i}`);
    await producer.send(topics.tasks, encodeTasks(warmIds, code, warm));
    await waitUntil(() => warm.complete, 180_000, `${opts.pkg.kind} warm-up`);
    const warmVerdict = tallyVerdict(warm.summary());
    if (warmVerdict !== null) throw new Error(`${opts.pkg.kind} warm-up: ${warmVerdict}`);
    log(
      `${opts.pkg.kind}: warm-up of ${opts.warmup} tasks answered in ${((Date.now() - w0) / 1000).toFixed(1)} s`,
    );
    await worker.take();

    // Encoded before the clock starts: the timed part is Kafka, the worker and the containers.
    const ids = Array.from({ length: opts.tasks }, (_, i) => `${prefix}-${i}`);
    const records = encodeTasks(ids, code, timed);
    const timedMode = opts.timedMode ?? (worker.mode === 'process' ? 'backlog' : 'live');
    // Stopping an in-process worker would stop the bench with it.
    if (timedMode === 'backlog' && worker.mode !== 'process')
      throw new Error('a backlog run needs the worker in a process of its own (workerProcess)');
    deferTimed = true;
    let produceSeconds = 0;
    const produce = async () => {
      const p0 = Date.now();
      for (let i = 0; i < records.length; i += CHUNK)
        await producer.send(topics.tasks, records.slice(i, i + CHUNK));
      produceSeconds = (Date.now() - p0) / 1000;
    };
    let cpu0: number | null;
    let machine0: Awaited<ReturnType<typeof snapshotCpu>>;
    let t0: number;
    if (timedMode === 'backlog') {
      const pid = worker.pid;
      process.kill(pid, 'SIGSTOP');
      try {
        await produce();
      } finally {
        cpu0 = await worker.cpuSeconds();
        machine0 = await snapshotCpu();
        t0 = Date.now();
        process.kill(pid, 'SIGCONT');
      }
    } else {
      cpu0 = await worker.cpuSeconds();
      machine0 = await snapshotCpu();
      t0 = Date.now();
      await produce();
    }
    const timeoutMs = opts.timeoutMs ?? 600_000;
    let lastLog = Date.now();
    await waitUntil(
      () => {
        if (Date.now() - lastLog >= 10_000) {
          lastLog = Date.now();
          log(
            `${opts.pkg.kind}: ${timedSeen.size}/${opts.tasks} results after ${((lastLog - t0) / 1000).toFixed(0)} s`,
          );
        }
        return timedSeen.size >= opts.tasks;
      },
      timeoutMs,
      `${opts.pkg.kind} run`,
    ).catch((err: Error) => log(`${err.message} (${timedSeen.size} results)`));
    const cpu1 = await worker.cpuSeconds();
    const machine1 = await snapshotCpu();
    // Checked now that the clock stopped: every timed result decoded and tallied.
    deferTimed = false;
    for (const { value, arrivedAtMs } of timedRaw.splice(0)) {
      try {
        timed.record(taskResultCodec.decode(value), arrivedAtMs);
      } catch {
        undecodable++;
      }
    }
    const tally = timed.summary();
    const seconds = ((tally.lastArrivalMs ?? Date.now()) - t0) / 1000;
    const cpuByRole = await cpuBreakdown(machine0, machine1, tally.answered, {
      workerPid: worker.mode === 'process' ? worker.pid : null,
      benchPid: process.pid,
    });
    const workerCpuMsPerTask =
      cpu0 === null || cpu1 === null || tally.answered === 0 ? null : ((cpu1 - cpu0) * 1000) / tally.answered;
    const { overhead, phases } = await worker.take();

    let pacedFigures: PacedFigures | null = null;
    if (opts.paced && opts.paced.ratePerSecond > 0 && opts.paced.seconds > 0) {
      const settleSeconds = Math.min(opts.paced.settleSeconds ?? 0, opts.paced.seconds);
      const measured = worker;
      const settled =
        settleSeconds > 0 ? sleep(settleSeconds * 1000).then(() => measured.take()) : Promise.resolve(null);
      const latency = await offeredLatency({
        ratePerSecond: opts.paced.ratePerSecond,
        durationSeconds: opts.paced.seconds,
        makeEvent: (i, nowMs) => {
          const id = `${prefix}-p${i}`;
          const payload = benchPayload(id, i);
          paced.expect(id, payload);
          const value = taskEventCodec.encode({
            ...taskEvent(id, code, payload),
            createdAtMs: nowMs,
          });
          return { id, createdAtMs: nowMs, record: { key: id, value, headers: {} } };
        },
        produce: (events) =>
          producer.send(
            topics.tasks,
            events.map((e) => e.record),
          ),
        results: (onResult) => {
          arrivals.add(onResult);
          return () => arrivals.delete(onResult);
        },
        drainTimeoutMs: 30_000,
      });
      const pacedTally = paced.summary();
      const settleTake = await settled;
      const pacedTake = await worker.take();
      pacedFigures = {
        latency,
        overhead: pacedTake.overhead,
        settling: settleTake === null ? null : { seconds: settleSeconds, overhead: settleTake.overhead },
        phases: pacedTake.phases,
        tally: pacedTally,
        verdict: tallyVerdict(pacedTally),
      };
    }
    return {
      pkg: { kind: opts.pkg.kind, name: opts.pkg.name, description: opts.pkg.description },
      worker: opts.worker,
      maxConcurrency: Number(opts.pkg.manifest.maxConcurrency),
      tasks: opts.tasks,
      warmup: opts.warmup,
      seconds,
      tasksPerSecond: tally.answered / Math.max(seconds, 1e-3),
      produceSeconds,
      timedMode,
      tally,
      verdict: tallyVerdict(tally),
      overhead,
      phases,
      paced: pacedFigures,
      undecodable,
      workerMode: worker.mode,
      workerCpuMsPerTask,
      cpuByRole,
    };
  } catch (err) {
    for (const l of worker?.logTail() ?? []) log(`worker: ${l}`);
    throw err;
  } finally {
    await worker?.close();
    await follower?.stop();
    await producer.disconnect();
    await deleteBerthTopics(opts.kafka, prefix).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  }
}
