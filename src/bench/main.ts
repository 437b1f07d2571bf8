import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { taskEventCodec } from '../codecs/task-event-codec.js';
import { loadWorkerConfig } from '../config/worker-config.js';
import { ContainerExecutor } from '../containers/container-executor.js';
import { DockerodeEngine } from '../containers/dockerode-engine.js';
import { executorOptions } from '../containers/executor-options.js';
import type { TaskEvent } from '../domain/task-event.js';
import { deleteGroupsWithPrefix } from '../kafka/group-cleanup.js';
import { deleteBerthTopics, ensureTopics } from '../kafka/kafka-admin.js';
import { brokersFromEnv, createKafka } from '../kafka/kafka-connection.js';
import { RecordProducer } from '../kafka/record-producer.js';
import { topicNames } from '../kafka/topic-names.js';
import { type BacklogRssFigures, backlogRss } from './backlog-rss.js';
import { type BareKafkaLoopFigures, bareKafkaLoopFigures } from './bare-kafka-loop.js';
import { type BenchPackageKind, benchPackage, writeBenchPackage } from './bench-packages.js';
import { fmt, percentile } from './bench-stats.js';
import { dockerRunStartMs } from './docker-run-latency.js';
import { engineCeiling } from './engine-ceiling.js';
import { type FnPeerFigures, measureFnPeer } from './fn-peer.js';
import { warmHandoverMs } from './handover-latency.js';
import { hotVsFresh } from './hot-throughput.js';
import { naiveLoopTasksPerSecond } from './naive-loop.js';
import { type PackageThroughputFigures, packageThroughput } from './package-throughput.js';
import {
  type CoreFigures,
  emptyFigures,
  type LoadAverage,
  phasesText,
  summarizeFigures,
} from './summarize-figures.js';
import { isTrivialTaskKind, type TrivialTaskKind } from './trivial-task-events.js';
import {
  type OfferedOverhead,
  type WorkerOfferedLatencyFigures,
  workerOfferedLatency,
} from './worker-offered-latency.js';
import { BenchWorker, burstTasksPerSecond, sequentialLatency } from './worker-throughput.js';

/*
 * Sections (env, or `npm run bench -- --name=value` for BENCH_NAME; an env setting wins):
 *   BENCH_CORE=1          handover, engine ceiling, executor hot vs fresh (BENCH_EXECUTOR_TASKS=100),
 *                         in-process worker with fresh isolation (BENCH_TASKS=60), naive loop
 *   BENCH_FN=1            function mode through a worker process (BENCH_FN_WORKER=process; in-process runs
 *                         it in the bench, with span stretches), trivial Node and Python handlers
 *                         (BENCH_FN_LANGS=node,python): BENCH_FN_TASKS=20000 after BENCH_FN_WARMUP=8000
 *                         (the JIT compiles the hot path over the first few thousand tasks), every result
 *                         checked after the clock stops; with a worker process the timed tasks are a
 *                         backlog (produced while the worker is stopped, as the bare loop's input is); package maxConcurrency BENCH_FN_CONCURRENCY=4, worker
 *                         BENCH_FN_SLOTS=2, BENCH_FN_PREFETCH=1024, BENCH_FN_DEPTH=32 (pipeline depth);
 *                         then BENCH_FN_PACED_RATE=200 tasks/s through the same worker for
 *                         BENCH_FN_PACED_SETTLE_SECONDS=3 right after the drain (reported apart) and
 *                         BENCH_FN_PACED_SECONDS=10 more (steady): overhead and span stretches without
 *                         a backlog (rate 0: skipped);
 *                         BENCH_FN_PIN_REVISION=1: tasks name the pushed revision instead of the newest
 *   BENCH_HOT=1           HOT process mode through the same worker settings: BENCH_HOT_TASKS=300
 *                         (BENCH_HOT_KIND=shell: sh -c 'cat "$PAYLOAD_FILE"', or node: node -e on node-20)
 *   BENCH_BARE=1          bare KafkaJS consume → produce → commit loop (BENCH_BARE_RECORDS=200000)
 *   BENCH_FN_PEER=1       Fn peer via ../shared/peers/fn/measure.sh when built (BENCH_FN_PEER_N=500)
 *   BENCH_BACKLOG=N       worker process RSS while draining N tasks (BENCH_BACKLOG_KIND=rejected|shell|function,
 *                         function: the trivial Node handler with the BENCH_FN_* worker settings;
 *                         BENCH_BACKLOG_TIMEOUT_S=1800); off by default
 *   BENCH_OFFERED_RATE=500 produced → result latency at this rate through a worker process for
 *                         BENCH_OFFERED_SECONDS=10 (0 turns it off), after BENCH_OFFERED_SETTLE_SECONDS=5
 *                         at the rate reported apart (a fresh worker's first seconds); BENCH_OFFERED_KIND=function (a trivial
 *                         Node handler with the BENCH_FN_* settings, or BENCH_OFFERED_PACKAGE=dir to push
 *                         and call), shell or rejected
 *   BENCH_WORKER_ARGS     extra `berth worker` flags for the worker processes ("--slots 4 …")
 *   BENCH_WORKER_NODE_ARGS node flags for the worker processes (default: WORKER_NODE_FLAGS)
 */
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z0-9-]+)=(.*)$/.exec(arg);
  if (!m?.[1] || m[2] === undefined) throw new Error(`bench: unknown argument '${arg}' (use --name=value)`);
  const name = `BENCH_${m[1].replaceAll('-', '_').toUpperCase()}`;
  process.env[name] ??= m[2];
}

const n = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const on = (name: string, fallback: boolean) => (process.env[name] ?? (fallback ? '1' : '0')) !== '0';
const LATENCY_SAMPLES = n('BENCH_LATENCY_SAMPLES', 20);
const THROUGHPUT_TASKS = n('BENCH_TASKS', 60);
const NAIVE_TASKS = n('BENCH_NAIVE_TASKS', 15);
const EXECUTOR_TASKS = n('BENCH_EXECUTOR_TASKS', 100);
const CEILING_CONTAINERS = n('BENCH_CEILING_CONTAINERS', 20);
const STACK = process.env.BENCH_STACK ?? 'python-3.11';
/** The sections that existed first: handover, engine ceiling, hot vs fresh, worker, naive loop. */
const CORE = on('BENCH_CORE', true);
const BARE = on('BENCH_BARE', true);
const BARE_RECORDS = n('BENCH_BARE_RECORDS', 200_000);
const FN_PEER = on('BENCH_FN_PEER', true);
const FN_PEER_N = n('BENCH_FN_PEER_N', 500);
const BACKLOG = n('BENCH_BACKLOG', 0);
const BACKLOG_KIND = process.env.BENCH_BACKLOG_KIND ?? 'rejected';
const BACKLOG_TIMEOUT_S = n('BENCH_BACKLOG_TIMEOUT_S', 1800);
const OFFERED_RATE = n('BENCH_OFFERED_RATE', 500);
const OFFERED_SECONDS = n('BENCH_OFFERED_SECONDS', 10);
const OFFERED_SETTLE_SECONDS = n('BENCH_OFFERED_SETTLE_SECONDS', 5);
const OFFERED_KIND = process.env.BENCH_OFFERED_KIND ?? 'function';
const OFFERED_PACKAGE = process.env.BENCH_OFFERED_PACKAGE;
const FN = on('BENCH_FN', true);
const FN_LANGS = (process.env.BENCH_FN_LANGS ?? 'node,python').split(',').filter((s) => s !== '');
const FN_TASKS = n('BENCH_FN_TASKS', 20_000);
const FN_WARMUP = n('BENCH_FN_WARMUP', 8000);
const FN_CONCURRENCY = n('BENCH_FN_CONCURRENCY', 4);
const FN_SLOTS = n('BENCH_FN_SLOTS', 2);
const FN_PREFETCH = n('BENCH_FN_PREFETCH', 1024);
const FN_DEPTH = n('BENCH_FN_DEPTH', 32);
const FN_TIMEOUT_S = n('BENCH_FN_TIMEOUT_S', 300);
const FN_PACED_RATE = n('BENCH_FN_PACED_RATE', 200);
const FN_PACED_SECONDS = n('BENCH_FN_PACED_SECONDS', 10);
const FN_PACED_SETTLE_SECONDS = n('BENCH_FN_PACED_SETTLE_SECONDS', 3);
const FN_PIN_REVISION = on('BENCH_FN_PIN_REVISION', false);
/** `process`: the function-mode worker runs as `berth worker` (as users run it); `in-process`: in the bench. */
const FN_WORKER_MODE = process.env.BENCH_FN_WORKER ?? 'process';
/** Node flags of the bench's worker processes (function mode, backlog, offered latency); default the worker's own. */
const WORKER_NODE_ARGS =
  process.env.BENCH_WORKER_NODE_ARGS === undefined
    ? undefined
    : process.env.BENCH_WORKER_NODE_ARGS.split(' ').filter((s) => s !== '');
const HOT = on('BENCH_HOT', true);
const HOT_TASKS = n('BENCH_HOT_TASKS', 300);
const HOT_WARMUP = n('BENCH_HOT_WARMUP', 20);
const HOT_KIND = process.env.BENCH_HOT_KIND ?? 'shell';
/** Extra `berth worker` flags for the worker processes of the backlog and offered sections. */
const WORKER_ARGS = (process.env.BENCH_WORKER_ARGS ?? '').split(' ').filter((s) => s !== '');

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

function kindSetting(name: string, value: string): TrivialTaskKind {
  if (!isTrivialTaskKind(value))
    throw new Error(`${name} must be function, shell or rejected, got '${value}'`);
  return value;
}

/** The in-process and child workers' settings for function and HOT package runs. */
const FN_WORKER = { slots: FN_SLOTS, prefetch: FN_PREFETCH, functionPipelineDepth: FN_DEPTH } as const;
const FN_PACED =
  FN_PACED_RATE > 0 && FN_PACED_SECONDS > 0
    ? {
        ratePerSecond: FN_PACED_RATE,
        seconds: FN_PACED_SETTLE_SECONDS + FN_PACED_SECONDS,
        settleSeconds: FN_PACED_SETTLE_SECONDS,
      }
    : null;

function loadAverage(): LoadAverage {
  const [a = 0, b = 0, c = 0] = loadavg();
  return [a, b, c];
}

interface RunContext {
  readonly run: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly kafka: ReturnType<typeof createKafka>;
  readonly brokers: readonly string[];
}

/** Handover latency, engine ceiling, hot vs fresh, the in-process worker and the naive loop. */
async function coreSection(ctx: RunContext): Promise<CoreFigures> {
  const { run, labels, kafka } = ctx;
  const image = `berth/stack-${STACK}:current`;
  const imageId = execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', image])
    .toString()
    .trim();
  const engine = new DockerodeEngine();
  console.log(`stack ${STACK} (${imageId.slice(7, 19)})`);

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

  const iso = await hotVsFresh(engine, STACK, imageId, labels, EXECUTOR_TASKS, 2);
  line(
    `executor, fresh isolation, ${EXECUTOR_TASKS} trivial tasks, 2 at a time`,
    `${fmt(iso.freshTasksPerSecond, 2)} tasks/s`,
  );
  line(
    `executor, hot isolation, ${EXECUTOR_TASKS} trivial tasks, 2 containers`,
    `${fmt(iso.hotTasksPerSecond, 2)} tasks/s`,
  );
  line('ratio hot / fresh', `${fmt(iso.hotTasksPerSecond / iso.freshTasksPerSecond, 2)}x`);

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
  try {
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
    return {
      warmP50: percentile(warm, 50),
      coldP50: percentile(cold, 50),
      ceiling,
      executorTasks: EXECUTOR_TASKS,
      freshExecutor: iso.freshTasksPerSecond,
      hotExecutor: iso.hotTasksPerSecond,
      consumedToStartP50: percentile(seq.consumedToStart, 50),
      producedToStartP50: percentile(seq.producedToStart, 50),
      workerTasks: THROUGHPUT_TASKS,
      worker: rate,
      workerOk: ok,
      naiveTasks: NAIVE_TASKS,
      naive,
    };
  } finally {
    await producer.disconnect();
    await deleteBerthTopics(kafka, run).catch(() => undefined);
  }
}

async function bareSection(ctx: RunContext): Promise<BareKafkaLoopFigures> {
  const r = await bareKafkaLoopFigures({
    kafka: ctx.kafka,
    records: BARE_RECORDS,
    topicPrefix: `${ctx.run}-bare`,
  });
  line(
    `bare KafkaJS loop, ${r.records} records of ${r.recordBytes} B`,
    `${fmt(r.recordsPerSecond, 0)} records/s (${r.batches} batches, ${fmt(r.seconds, 2)} s)`,
  );
  return r;
}

async function fnSection(): Promise<FnPeerFigures> {
  const r = await measureFnPeer({ n: FN_PEER_N });
  if (r.kind === 'skipped') {
    line('Fn peer', `skipped: ${r.why}`);
    return r;
  }
  for (const c of [r.c1, r.c4]) {
    line(
      `Fn hot, ${c.calls} calls, concurrency ${c.concurrency}`,
      `${fmt(c.callsPerSecond, 0)} calls/s, p50/p99 ${fmt(c.p50Ms, 2)} / ${fmt(c.p99Ms, 2)} ms`,
    );
  }
  if (r.coldP50Ms !== null) line('Fn cold call p50', `${fmt(r.coldP50Ms)} ms`);
  if (r.dockerRunP50Ms !== null)
    line('docker run --rm true p50 (Fn peer run)', `${fmt(r.dockerRunP50Ms)} ms`);
  for (const note of r.notes) line('Fn peer note', note);
  return r;
}

/** `tasks` tasks of a trivial package through an in-process worker, every result checked. */
async function packageSection(
  ctx: RunContext,
  kind: BenchPackageKind,
  tasks: number,
  warmup: number,
  paced: { ratePerSecond: number; seconds: number } | null,
): Promise<PackageThroughputFigures> {
  const pkg = benchPackage(kind, `bench-${kind}`, FN_CONCURRENCY);
  const r = await packageThroughput({
    kafka: ctx.kafka,
    brokers: ctx.brokers,
    topicPrefix: `${ctx.run}-${kind}`,
    pkg,
    tasks,
    warmup,
    worker: FN_WORKER,
    containerLabels: ctx.labels,
    timeoutMs: FN_TIMEOUT_S * 1000,
    paced,
    pinRevision: FN_PIN_REVISION,
    ...(fnWorkerProcess()
      ? { workerProcess: { args: WORKER_ARGS, ...(WORKER_NODE_ARGS ? { nodeArgs: WORKER_NODE_ARGS } : {}) } }
      : {}),
    log: (l) => console.log(`  ${l}`),
  });
  line(
    `${kind}: ${pkg.description}, ${tasks} tasks`,
    `${fmt(r.tasksPerSecond, 1)} tasks/s (${fmt(r.seconds, 2)} s; ${r.timedMode === 'backlog' ? `backlog produced in ${fmt(r.produceSeconds, 2)} s before the clock` : `produce ${fmt(r.produceSeconds, 2)} s`})`,
  );
  line(
    `  checked: correct / expected (statuses)`,
    `${r.tally.correct}/${r.tally.expected} ${JSON.stringify(r.tally.statuses)}${r.tally.duplicates ? `, ${r.tally.duplicates} duplicates` : ''}`,
  );
  if (r.verdict !== null) line('  CHECK FAILED', r.verdict);
  line(
    '  overhead (consumed → acked − run) p50/p99/max',
    `${fmt(r.overhead.p50Ms, 2)} / ${fmt(r.overhead.p99Ms, 2)} / ${fmt(r.overhead.maxMs, 1)} ms (${r.overhead.count} tasks)`,
  );
  if (r.workerMode === 'in-process') line('  span stretches p50 ms', phasesText(r.phases));
  if (r.workerCpuMsPerTask !== null)
    line('  worker process CPU (user + system) per task', `${fmt(r.workerCpuMsPerTask * 1000, 0)} µs`);
  const cores = availableParallelism();
  const total = r.cpuByRole.reduce((sum, x) => sum + x.microsPerTask, 0);
  line(
    '  machine CPU per task, all processes',
    `${fmt(total, 0)} µs (${cores} cores: at most ${fmt((cores * 1e6) / Math.max(1, total), 0)} tasks/s)`,
  );
  for (const x of r.cpuByRole.filter((x) => x.microsPerTask >= 5))
    line(`    ${x.role}`, `${fmt(x.microsPerTask, 0)} µs`);
  const p = r.paced;
  if (p) {
    const at = `  paced ${p.latency.offeredPerSecond}/s for ${FN_PACED_SETTLE_SECONDS + FN_PACED_SECONDS} s`;
    line(
      `${at}: produced → result p50/p99`,
      `${fmt(p.latency.p50Ms)} / ${fmt(p.latency.p99Ms)} ms, ${p.tally.correct}/${p.tally.expected} correct`,
    );
    if (p.verdict !== null) line('  CHECK FAILED', p.verdict);
    if (p.tally.legs !== null) {
      const legs = p.tally.legs;
      const text = (k: 'p50Ms' | 'p99Ms') =>
        `to grant ${fmt(legs.toGrant[k])} · dispatch ${fmt(legs.dispatch[k])} · run ${fmt(legs.run[k])} · to arrival ${fmt(legs.toArrival[k])}`;
      line(`${at}: legs p50 ms (result timings)`, text('p50Ms'));
      line(`${at}: legs p99 ms (result timings)`, text('p99Ms'));
    }
    if (p.settling !== null)
      line(
        `${at}: overhead p50/p99, first ${p.settling.seconds} s`,
        `${fmt(p.settling.overhead.p50Ms, 2)} / ${fmt(p.settling.overhead.p99Ms, 2)} ms (${p.settling.overhead.count} tasks)`,
      );
    line(
      `${at}: overhead p50/p99/max${p.settling === null ? '' : ', after that'}`,
      `${fmt(p.overhead.p50Ms, 2)} / ${fmt(p.overhead.p99Ms, 2)} / ${fmt(p.overhead.maxMs, 1)} ms (${p.overhead.count} tasks)`,
    );
    if (r.workerMode === 'in-process') {
      line(`${at}: span stretches p50 ms`, phasesText(p.phases));
      line(`${at}: span stretches p99 ms`, phasesText(p.phases, 'p99Ms'));
    }
  }
  return r;
}

function fnWorkerProcess(): boolean {
  if (FN_WORKER_MODE === 'process') return true;
  if (FN_WORKER_MODE === 'in-process') return false;
  throw new Error(`BENCH_FN_WORKER must be process or in-process, got '${FN_WORKER_MODE}'`);
}

function hotKind(): BenchPackageKind {
  if (HOT_KIND === 'shell') return 'hot-shell';
  if (HOT_KIND === 'node') return 'hot-node';
  throw new Error(`BENCH_HOT_KIND must be shell or node, got '${HOT_KIND}'`);
}

async function backlogSection(ctx: RunContext): Promise<BacklogRssFigures> {
  const kind = kindSetting('BENCH_BACKLOG_KIND', BACKLOG_KIND);
  // Function kind: the trivial Node handler (returns its payload), with the function-mode worker flags.
  const scratch = kind === 'function' ? await mkdtemp(join(tmpdir(), 'berth-bench-backlog-')) : null;
  if (scratch !== null)
    await writeBenchPackage(scratch, benchPackage('node-function', 'bench-backlog-node', FN_CONCURRENCY));
  const r = await backlogRss({
    kafka: ctx.kafka,
    backlog: BACKLOG,
    kind,
    ...(scratch === null ? {} : { packageDir: scratch }),
    topicPrefix: `${ctx.run}-backlog`,
    brokers: ctx.brokers,
    containerLabels: ctx.labels,
    workerArgs: kind === 'function' ? offeredWorkerArgs(kind) : WORKER_ARGS,
    ...(WORKER_NODE_ARGS ? { workerNodeArgs: WORKER_NODE_ARGS } : {}),
    timeoutMs: BACKLOG_TIMEOUT_S * 1000,
    log: (l) => console.log(`  ${l}`),
  }).finally(() => (scratch === null ? undefined : rm(scratch, { recursive: true, force: true })));
  const rss = r.rss;
  line(
    `backlog ${r.backlog} ${r.kind} tasks, worker process`,
    `${fmt(r.tasksPerSecond, 1)} tasks/s, ${r.results} results in ${fmt(r.drainSeconds)} s${r.complete ? '' : ' (TIMED OUT)'}`,
  );
  line(`backlog: results by status (every one should be ${r.expectedStatus})`, JSON.stringify(r.statuses));
  line(
    'backlog: worker RSS start / max / end',
    rss === null
      ? 'n/a'
      : `${fmt(rss.startMiB)} / ${fmt(rss.maxMiB)} / ${fmt(rss.endMiB)} MiB (growth ${fmt(rss.growthMiB)} MiB, after the first tenth ${fmt(rss.growthAfterWarmupMiB)} MiB)`,
  );
  line(
    'backlog: worker stop',
    `${r.workerExit}; started answering after ${fmt(r.startupSeconds ?? Number.NaN)} s`,
  );
  if (!r.complete) for (const l of r.workerStderrTail.slice(-5)) console.log(`  worker stderr: ${l}`);
  return r;
}

/** The worker flags of an offered-latency or function backlog run of `kind` (BENCH_WORKER_ARGS last, so they win). */
function offeredWorkerArgs(kind: string): string[] {
  const fn = [
    ...['--slots', String(FN_SLOTS), '--prefetch', String(FN_PREFETCH)],
    ...['--function-pipeline-depth', String(FN_DEPTH), '--warm-pool-size', '0'],
  ];
  return [
    ...(kind === 'rejected' ? ['--warm-pool-size', '0'] : []),
    ...(kind === 'function' ? fn : []),
    ...WORKER_ARGS,
  ];
}

async function offeredSection(ctx: RunContext): Promise<WorkerOfferedLatencyFigures> {
  const kind = kindSetting('BENCH_OFFERED_KIND', OFFERED_KIND);
  // Function kind without a package of the caller's: the trivial Node handler (returns its payload).
  const scratch =
    kind === 'function' && OFFERED_PACKAGE === undefined
      ? await mkdtemp(join(tmpdir(), 'berth-bench-offered-'))
      : null;
  if (scratch !== null)
    await writeBenchPackage(scratch, benchPackage('node-function', 'bench-offered-node', FN_CONCURRENCY));
  const packageDir = OFFERED_PACKAGE ?? scratch ?? undefined;
  const r = await workerOfferedLatency({
    kafka: ctx.kafka,
    ratePerSecond: OFFERED_RATE,
    durationSeconds: OFFERED_SECONDS,
    settleSeconds: OFFERED_SETTLE_SECONDS,
    kind,
    ...(packageDir === undefined ? {} : { packageDir }),
    topicPrefix: `${ctx.run}-offered`,
    brokers: ctx.brokers,
    containerLabels: ctx.labels,
    workerArgs: offeredWorkerArgs(kind),
    ...(WORKER_NODE_ARGS ? { workerNodeArgs: WORKER_NODE_ARGS } : {}),
    log: (l) => console.log(`  ${l}`),
  }).finally(() => (scratch === null ? undefined : rm(scratch, { recursive: true, force: true })));
  if (r.settling !== null)
    line(
      `fresh worker, first ${OFFERED_SETTLE_SECONDS} s at ${OFFERED_RATE}/s: produced → result p50/p99`,
      `${fmt(r.settling.latency.p50Ms)} / ${fmt(r.settling.latency.p99Ms)} ms; overhead p50/p99 ${overheadText(r.settling.overhead)}`,
    );
  line(
    `produced → result at ${OFFERED_RATE}/s for ${OFFERED_SECONDS} s${r.settling === null ? '' : ' after those'}, ${kind}${r.codeName ? ` ${r.codeName}` : ''}`,
    `p50/p99 ${fmt(r.p50Ms)} / ${fmt(r.p99Ms)} ms, ${r.answered}/${r.produced} answered, produced at ${fmt(r.producedPerSecond)}/s`,
  );
  line('  results by status (warm-up and settling included)', JSON.stringify(r.statuses));
  line('  worker overhead p50/p99 (/metrics histogram, timed tasks)', overheadText(r.overhead));
  return r;
}

function overheadText(o: OfferedOverhead): string {
  return o === null
    ? 'n/a (worker /metrics not read)'
    : `${fmt(o.p50Ms, 2)} / ${fmt(o.p99Ms, 2)} ms (${o.count} tasks)`;
}

/** `npm run bench`: every enabled section in one run, then one table with ratios. */
async function main(): Promise<void> {
  const run = `bench${Date.now().toString(36)}`;
  const labels = { 'berth.bench': '1', 'berth.bench-run': run };
  const brokers = brokersFromEnv();
  const kafka = createKafka({ brokers, clientId: run });
  const ctx: RunContext = { run, labels, kafka, brokers };
  const figures = emptyFigures();
  figures.loadStart = loadAverage();
  console.log(`berth bench: run ${run}, load average ${figures.loadStart.map((x) => fmt(x, 2)).join(' ')}\n`);
  const failures: string[] = [];
  const section = async <T>(name: string, enabled: boolean, body: () => Promise<T>): Promise<T | null> => {
    if (!enabled) return null;
    try {
      return await body();
    } catch (err) {
      const msg = `${name} failed: ${err instanceof Error ? err.message : String(err)}`;
      console.log(msg);
      failures.push(msg);
      return null;
    }
  };
  try {
    figures.core = await section('core sections', CORE, () => coreSection(ctx));
    figures.bare = await section('bare KafkaJS loop', BARE, () => bareSection(ctx));
    figures.fn = await section('Fn peer', FN_PEER, fnSection);
    figures.functionNode = await section('function mode, Node', FN && FN_LANGS.includes('node'), () =>
      packageSection(ctx, 'node-function', FN_TASKS, FN_WARMUP, FN_PACED),
    );
    figures.functionPython = await section('function mode, Python', FN && FN_LANGS.includes('python'), () =>
      packageSection(ctx, 'python-function', FN_TASKS, FN_WARMUP, FN_PACED),
    );
    figures.hotProcess = await section('HOT process mode', HOT, () =>
      packageSection(ctx, hotKind(), HOT_TASKS, HOT_WARMUP, null),
    );
    figures.backlog = await section('backlog RSS', BACKLOG > 0, () => backlogSection(ctx));
    figures.offered = await section('offered latency', OFFERED_RATE > 0, () => offeredSection(ctx));
  } finally {
    const left = execFileSync('docker', ['ps', '-aq', '--filter', `label=berth.bench-run=${run}`])
      .toString()
      .trim();
    if (left) execFileSync('docker', ['rm', '-f', ...left.split('\n')]);
    // Every section's topics start with the run id; so do the groups their consumers left behind.
    await deleteGroupsWithPrefix(kafka, run).catch(() => undefined);
  }
  figures.loadEnd = loadAverage();
  const summary = summarizeFigures(figures);
  for (const f of failures) summary.note(f);
  console.log('\nsummary (one run)\n');
  for (const l of summary.lines()) console.log(l);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`berth bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
