/**
 * Scale-out evidence (`npm run bench:scale`): the same container-free workload through 1, 2 and
 * 4 worker processes of one installation on one broker, printing one Markdown table row per
 * worker count:
 *
 * - throughput: SCALE_BURST tasks produced at once, produce start → last result;
 * - join pause: under a steady SCALE_RATE tasks/s, one more worker is started; the longest
 *   interval without any result in the SCALE_WINDOW_MS after its spawn (the rebalance stops
 *   every member's fetching until the group has settled again), and when results flowed again;
 * - leave pause: the same when one worker is stopped with SIGTERM (it drains and leaves);
 * - baseline: the longest such interval in the steady window before the event, for comparison.
 *
 * Tasks name a code package that does not exist, so each is REJECTED by the worker without a
 * container while still going through intake, the ledger, publishing and the offset commit:
 * this measures the worker path, not the Docker engine. Env: BERTH_KAFKA_BROKERS (shared dev
 * broker by default), SCALE_WORKERS (1,2,4), SCALE_PARTITIONS (8), SCALE_BURST (3000),
 * SCALE_RATE (100), SCALE_WINDOW_MS (15000).
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { taskEventCodec } from '../codecs/task-event-codec.js';
import { taskResultCodec } from '../codecs/task-result-codec.js';
import { deleteGroupsWithPrefix } from '../kafka/group-cleanup.js';
import { deleteBerthTopics, ensureTopics } from '../kafka/kafka-admin.js';
import { brokersFromEnv, createKafka } from '../kafka/kafka-connection.js';
import { RecordProducer } from '../kafka/record-producer.js';
import { TailConsumer } from '../kafka/tail-consumer.js';
import { topicNames } from '../kafka/topic-names.js';
import { fmt } from './bench-stats.js';
import { startFollower } from './follow-results.js';
import { trivialTaskEvent } from './trivial-task-events.js';
import { WorkerProcess } from './worker-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

/** One row of the table. Times in milliseconds. */
export interface ScaleOutRow {
  readonly workers: number;
  readonly tasksPerSecond: number;
  readonly baselineGapMs: number;
  readonly joinGapMs: number;
  /** From the new worker's spawn to the end of the longest gap after it. */
  readonly joinFlowingAfterMs: number;
  readonly leaveGapMs: number;
  readonly leaveFlowingAfterMs: number;
}

/**
 * The longest interval without a result in [fromMs, toMs] (`arrivals` sorted ascending, the
 * window's edges count as arrivals) and when it ended, relative to `fromMs`.
 */
export function longestGap(
  arrivals: readonly number[],
  fromMs: number,
  toMs: number,
): { gapMs: number; endsAfterMs: number } {
  const inside = arrivals.filter((t) => t >= fromMs && t <= toMs);
  const points = [fromMs, ...inside, toMs];
  let best = { gapMs: 0, endsAfterMs: 0 };
  for (let i = 1; i < points.length; i++) {
    const gap = (points[i] as number) - (points[i - 1] as number);
    if (gap > best.gapMs) best = { gapMs: gap, endsAfterMs: (points[i] as number) - fromMs };
  }
  return best;
}

async function measure(workerCount: number, run: string): Promise<ScaleOutRow> {
  const brokers = brokersFromEnv();
  const kafka = createKafka({ brokers, clientId: 'berth-bench-scale' });
  const prefix = `bench-scale-${run}-n${workerCount}`;
  const topics = topicNames(prefix);
  const partitions = intEnv('SCALE_PARTITIONS', 8);
  const burst = intEnv('SCALE_BURST', 3000);
  const rate = intEnv('SCALE_RATE', 100);
  const windowMs = intEnv('SCALE_WINDOW_MS', 15_000);
  await ensureTopics(kafka, prefix, partitions);
  const arrivals: number[] = [];
  const follower = await startFollower(
    () =>
      new TailConsumer({
        kafka,
        topic: topics.results,
        groupId: `${prefix}-bench-results`,
        onRecord: (r) => {
          if (r.value && taskResultCodec.decode(r.value).status === 'REJECTED') arrivals.push(Date.now());
        },
      }),
  );
  const producer = new RecordProducer(kafka);
  await producer.connect();
  let seq = 0;
  const produce = (n: number) =>
    producer.send(
      topics.tasks,
      Array.from({ length: n }, () => {
        const id = `${prefix}-${seq++}`;
        return { key: id, value: taskEventCodec.encode(trivialTaskEvent('rejected', id)), headers: {} };
      }),
    );
  const spawn = (i: number) =>
    new WorkerProcess({
      topicPrefix: prefix,
      workerId: `${prefix}-w${i}`,
      brokers,
      containerLabels: { 'berth.bench': prefix },
      args: ['--slots', '16', '--warm-pool-size', '0', '--prewarm-stacks', 'shell'],
    });
  const workers: WorkerProcess[] = [];
  try {
    for (let i = 0; i < workerCount; i++) workers.push(spawn(i));
    for (const w of workers) {
      const url = await w.metricsUrl(60_000);
      if (url === null) throw new Error(`worker did not start: ${w.stderrTail.join(' | ')}`);
    }
    // Settle the group: results flow for a small warm-up batch.
    await produce(50);
    while (arrivals.length < 50) await sleep(20);

    const before = arrivals.length;
    const t0 = Date.now();
    await produce(burst);
    while (arrivals.length < before + burst) await sleep(5);
    const tasksPerSecond = burst / ((Date.now() - t0) / 1000);

    // Steady load: `rate` tasks/s in batches every 100 ms, while a worker joins and one leaves.
    let steady = true;
    const feeder = (async () => {
      while (steady) {
        await produce(Math.max(1, Math.round(rate / 10)));
        await sleep(100);
      }
    })();
    await sleep(5000);
    const baseline = longestGap(arrivals, Date.now() - 4000, Date.now());
    const joinAt = Date.now();
    workers.push(spawn(workerCount));
    await sleep(windowMs);
    const join = longestGap(arrivals, joinAt, joinAt + windowMs);
    const leaveAt = Date.now();
    const leaving = workers.shift();
    const stopped = leaving?.stop();
    await sleep(windowMs);
    const leave = longestGap(arrivals, leaveAt, leaveAt + windowMs);
    steady = false;
    await feeder;
    await stopped;
    return {
      workers: workerCount,
      tasksPerSecond,
      baselineGapMs: baseline.gapMs,
      joinGapMs: join.gapMs,
      joinFlowingAfterMs: join.endsAfterMs,
      leaveGapMs: leave.gapMs,
      leaveFlowingAfterMs: leave.endsAfterMs,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await producer.disconnect();
    await follower.stop();
    await deleteBerthTopics(kafka, prefix).catch(() => undefined);
    await deleteGroupsWithPrefix(kafka, prefix).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const counts = (process.env.SCALE_WORKERS ?? '1,2,4').split(',').map((s) => Number(s.trim()));
  const run = randomBytes(3).toString('hex');
  console.error(`scale-out: ${cpus().length} cores, broker ${brokersFromEnv().join(',')}, run ${run}`);
  const rows: ScaleOutRow[] = [];
  for (const n of counts) {
    const row = await measure(n, run);
    console.error(`scale-out: ${n} worker(s): ${JSON.stringify(row)}`);
    rows.push(row);
  }
  console.log(
    '| workers | throughput (tasks/s) | steady max gap (ms) | join: pause (ms) / flowing after (ms) | leave: pause (ms) / flowing after (ms) |',
  );
  console.log('|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.workers} | ${fmt(r.tasksPerSecond, 0)} | ${r.baselineGapMs} | ${r.joinGapMs} / ${r.joinFlowingAfterMs} | ${r.leaveGapMs} / ${r.leaveFlowingAfterMs} |`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`scale-out: ${(err as Error).stack ?? String(err)}`);
      process.exit(1);
    },
  );
}
