import { execFileSync } from 'node:child_process';
import { taskEventCodec } from '../codecs/task-event-codec.js';
import { loadWorkerConfig } from '../config/worker-config.js';
import { ContainerExecutor } from '../containers/container-executor.js';
import { DockerodeEngine } from '../containers/dockerode-engine.js';
import { executorOptions } from '../containers/executor-options.js';
import type { TaskEvent } from '../domain/task-event.js';
import { deleteBerthTopics, ensureTopics } from '../kafka/kafka-admin.js';
import { createKafka } from '../kafka/kafka-connection.js';
import { RecordProducer } from '../kafka/record-producer.js';
import { topicNames } from '../kafka/topic-names.js';
import { fmt, percentile } from './bench-stats.js';
import { dockerRunStartMs } from './docker-run-latency.js';
import { engineCeiling } from './engine-ceiling.js';
import { warmHandoverMs } from './handover-latency.js';
import { hotVsFresh } from './hot-throughput.js';
import { naiveLoopTasksPerSecond } from './naive-loop.js';
import { BenchWorker, burstTasksPerSecond, sequentialLatency } from './worker-throughput.js';

const n = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const LATENCY_SAMPLES = n('BENCH_LATENCY_SAMPLES', 20);
const THROUGHPUT_TASKS = n('BENCH_TASKS', 60);
const NAIVE_TASKS = n('BENCH_NAIVE_TASKS', 15);
const HOT_TASKS = n('BENCH_HOT_TASKS', 100);
const CEILING_CONTAINERS = n('BENCH_CEILING_CONTAINERS', 20);
const STACK = process.env.BENCH_STACK ?? 'python-3.11';

function line(label: string, value: string): void {
  console.log(`${label.padEnd(58)} ${value}`);
}

function event(id: string): TaskEvent {
  return {
    id,
    code: null,
    inline: { stack: STACK, command: ['true'], env: {} },
    payload: new Uint8Array(0),
    priority: 1,
    timeoutMs: 30_000,
    maxAttempts: 1,
    attempt: 1,
    // The worker's default memory, so a warm container is handed over without a limit update.
    memoryBytes: null,
    network: null,
    labels: {},
    createdAtMs: Date.now(),
  };
}

/** `npm run bench`: handover latency, throughput, engine ceiling, printed with ratios. */
async function main(): Promise<void> {
  const run = `bench${Date.now().toString(36)}`;
  const labels = { 'berth.bench': '1', 'berth.bench-run': run };
  const image = `berth/stack-${STACK}:current`;
  const imageId = execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', image])
    .toString()
    .trim();
  const engine = new DockerodeEngine();
  console.log(`berth bench: stack ${STACK} (${imageId.slice(7, 19)}), run ${run}\n`);

  const executor = new ContainerExecutor(
    engine,
    executorOptions({ workerId: `${run}-exec`, extraLabels: labels }),
    () => {},
  );
  const warm = await warmHandoverMs(executor, STACK, imageId, LATENCY_SAMPLES);
  await executor.close();
  const cold: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) cold.push(await dockerRunStartMs(image, labels));
  line(
    'handover → task process started, warm container  p50/p95',
    `${fmt(percentile(warm, 50))} / ${fmt(percentile(warm, 95))} ms`,
  );
  line(
    'docker run --rm → task process started            p50/p95',
    `${fmt(percentile(cold, 50))} / ${fmt(percentile(cold, 95))} ms`,
  );
  line(
    'ratio warm p50 / docker run p50',
    `${fmt(percentile(warm, 50) / percentile(cold, 50), 3)} (goal < 0.1)`,
  );

  const ceiling = await engineCeiling(engine, imageId, labels, CEILING_CONTAINERS);
  line('engine ceiling: create+start+remove', `${fmt(ceiling, 2)} containers/s`);

  const iso = await hotVsFresh(engine, STACK, imageId, labels, HOT_TASKS, 2);
  line(
    `executor, fresh isolation, ${HOT_TASKS} trivial tasks, 2 at a time`,
    `${fmt(iso.freshTasksPerSecond, 2)} tasks/s`,
  );
  line(
    `executor, hot isolation, ${HOT_TASKS} trivial tasks, 2 containers`,
    `${fmt(iso.hotTasksPerSecond, 2)} tasks/s`,
  );
  line('ratio hot / fresh', `${fmt(iso.hotTasksPerSecond / iso.freshTasksPerSecond, 2)}x`);

  const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: run });
  await ensureTopics(kafka, run, 2);
  const topics = topicNames(run);
  const producer = new RecordProducer(kafka);
  await producer.connect();
  const produce = (prefix: string, count: number) => async () => {
    const records = Array.from({ length: count }, (_, i) => {
      const e = event(`${prefix}-${i}`);
      return { key: e.id, value: taskEventCodec.encode(e), headers: {} };
    });
    await producer.send(topics.tasks, records);
  };
  const config = loadWorkerConfig(
    {
      topicPrefix: run,
      workerId: `${run}-worker`,
      slots: '2',
      prefetch: '4',
      warmPoolSize: '2',
      prewarmStacks: STACK,
      metricsPort: '0',
    },
    {
      BERTH_CONTAINER_LABELS: Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  );
  const bench = new BenchWorker(kafka, config, topics.results);
  await bench.start();
  const seq = await sequentialLatency(bench, (i) => produce(`seq${i}`, 1)(), LATENCY_SAMPLES);
  line(
    'worker: event consumed → task process started     p50/p95',
    `${fmt(percentile(seq.consumedToStart, 50))} / ${fmt(percentile(seq.consumedToStart, 95))} ms`,
  );
  line(
    'worker: event produced → task process started     p50/p95',
    `${fmt(percentile(seq.producedToStart, 50))} / ${fmt(percentile(seq.producedToStart, 95))} ms`,
  );
  line(
    'ratio worker consumed→started p50 / docker run p50',
    `${fmt(percentile(seq.consumedToStart, 50) / percentile(cold, 50), 3)} (goal < 0.1)`,
  );
  const before = bench.results.length;
  const rate = await burstTasksPerSecond(bench, produce('fresh', THROUGHPUT_TASKS), THROUGHPUT_TASKS);
  const ok = bench.results.slice(before).filter((r) => r.status === 'SUCCEEDED').length;
  line(
    `berth worker, fresh isolation, ${THROUGHPUT_TASKS} trivial tasks`,
    `${fmt(rate, 2)} tasks/s (${ok} succeeded)`,
  );
  await bench.stop();

  await produce('naive', NAIVE_TASKS)();
  const naive = await naiveLoopTasksPerSecond({
    kafka,
    topic: topics.tasks,
    resultsTopic: topics.results,
    groupId: `${run}-naive`,
    image,
    labels,
    eventCodec: taskEventCodec,
    count: NAIVE_TASKS,
  });
  line(`naive consume → docker run --rm → produce, ${NAIVE_TASKS} tasks`, `${fmt(naive, 2)} tasks/s`);
  line('ratio berth / naive', `${fmt(rate / naive, 2)}x`);
  line('ratio berth / engine ceiling', `${fmt(rate / ceiling, 2)} (goal ≈ 1)`);

  await producer.disconnect();
  await deleteBerthTopics(kafka, run).catch(() => undefined);
  const left = execFileSync('docker', ['ps', '-aq', '--filter', `label=berth.bench-run=${run}`])
    .toString()
    .trim();
  if (left) execFileSync('docker', ['rm', '-f', ...left.split('\n')]);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`berth bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
