import { execFileSync } from 'node:child_process';
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
import { fmt, percentile } from './bench-stats.js';
import { BenchSummary, ratioText } from './bench-summary.js';
import { dockerRunStartMs } from './docker-run-latency.js';
import { engineCeiling } from './engine-ceiling.js';
import { type FnPeerFigures, measureFnPeer } from './fn-peer.js';
import { warmHandoverMs } from './handover-latency.js';
import { hotVsFresh } from './hot-throughput.js';
import { naiveLoopTasksPerSecond } from './naive-loop.js';
import { isTrivialTaskKind, type TrivialTaskKind } from './trivial-task-events.js';
import { type WorkerOfferedLatencyFigures, workerOfferedLatency } from './worker-offered-latency.js';
import { BenchWorker, burstTasksPerSecond, sequentialLatency } from './worker-throughput.js';

/*
 * Sections (env, or `npm run bench -- --name=value` for BENCH_NAME; an env setting wins):
 *   BENCH_CORE=1          handover, engine ceiling, hot vs fresh, in-process worker, naive loop
 *   BENCH_BARE=1          bare KafkaJS consume → produce → commit loop (BENCH_BARE_RECORDS=200000)
 *   BENCH_FN_PEER=1       Fn peer via ../shared/peers/fn/measure.sh when built (BENCH_FN_PEER_N=500)
 *   BENCH_BACKLOG=N       worker process RSS while draining N tasks (BENCH_BACKLOG_KIND=rejected|shell|function,
 *                         BENCH_BACKLOG_TIMEOUT_S=1800); off by default
 *   BENCH_OFFERED_RATE=R  produced → result latency at R tasks/s through a worker process for
 *                         BENCH_OFFERED_SECONDS=10 (BENCH_OFFERED_KIND, BENCH_OFFERED_PACKAGE=dir to push
 *                         and call); off by default
 *   BENCH_WORKER_ARGS     extra `berth worker` flags for the worker processes ("--slots 4 …")
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
const HOT_TASKS = n('BENCH_HOT_TASKS', 100);
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
const OFFERED_RATE = n('BENCH_OFFERED_RATE', 0);
const OFFERED_SECONDS = n('BENCH_OFFERED_SECONDS', 10);
const OFFERED_KIND =
  process.env.BENCH_OFFERED_KIND ?? (process.env.BENCH_OFFERED_PACKAGE ? 'function' : 'shell');
const OFFERED_PACKAGE = process.env.BENCH_OFFERED_PACKAGE;
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

interface CoreFigures {
  readonly warmP50: number;
  readonly coldP50: number;
  readonly ceiling: number;
  readonly freshExecutor: number;
  readonly hotExecutor: number;
  readonly consumedToStartP50: number;
  readonly producedToStartP50: number;
  readonly worker: number;
  readonly workerOk: number;
  readonly naive: number;
}

/** Everything one run measured; a section that did not run leaves its field null. */
interface Figures {
  core: CoreFigures | null;
  bare: BareKafkaLoopFigures | null;
  fn: FnPeerFigures | null;
  backlog: BacklogRssFigures | null;
  offered: WorkerOfferedLatencyFigures | null;
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
      freshExecutor: iso.freshTasksPerSecond,
      hotExecutor: iso.hotTasksPerSecond,
      consumedToStartP50: percentile(seq.consumedToStart, 50),
      producedToStartP50: percentile(seq.producedToStart, 50),
      worker: rate,
      workerOk: ok,
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

async function backlogSection(ctx: RunContext): Promise<BacklogRssFigures> {
  const r = await backlogRss({
    kafka: ctx.kafka,
    backlog: BACKLOG,
    kind: kindSetting('BENCH_BACKLOG_KIND', BACKLOG_KIND),
    topicPrefix: `${ctx.run}-backlog`,
    brokers: ctx.brokers,
    containerLabels: ctx.labels,
    workerArgs: WORKER_ARGS,
    timeoutMs: BACKLOG_TIMEOUT_S * 1000,
    log: (l) => console.log(`  ${l}`),
  });
  const rss = r.rss;
  line(
    `backlog ${r.backlog} ${r.kind} tasks, worker process`,
    `${fmt(r.tasksPerSecond, 1)} tasks/s, ${r.results} results in ${fmt(r.drainSeconds)} s${r.complete ? '' : ' (TIMED OUT)'}`,
  );
  line(
    'backlog: worker RSS start / max / end',
    rss === null
      ? 'n/a'
      : `${fmt(rss.startMiB)} / ${fmt(rss.maxMiB)} / ${fmt(rss.endMiB)} MiB (growth ${fmt(rss.growthMiB)} MiB)`,
  );
  line(
    'backlog: worker stop',
    `${r.workerExit}; started answering after ${fmt(r.startupSeconds ?? Number.NaN)} s`,
  );
  if (!r.complete) for (const l of r.workerStderrTail.slice(-5)) console.log(`  worker stderr: ${l}`);
  return r;
}

async function offeredSection(ctx: RunContext): Promise<WorkerOfferedLatencyFigures> {
  const kind = kindSetting('BENCH_OFFERED_KIND', OFFERED_KIND);
  const r = await workerOfferedLatency({
    kafka: ctx.kafka,
    ratePerSecond: OFFERED_RATE,
    durationSeconds: OFFERED_SECONDS,
    kind,
    ...(OFFERED_PACKAGE === undefined ? {} : { packageDir: OFFERED_PACKAGE }),
    topicPrefix: `${ctx.run}-offered`,
    brokers: ctx.brokers,
    containerLabels: ctx.labels,
    workerArgs: [...(kind === 'rejected' ? ['--warm-pool-size', '0'] : []), ...WORKER_ARGS],
    log: (l) => console.log(`  ${l}`),
  });
  line(
    `produced → result at ${OFFERED_RATE}/s for ${OFFERED_SECONDS} s, ${kind}${r.codeName ? ` ${r.codeName}` : ''}`,
    `p50/p99 ${fmt(r.p50Ms)} / ${fmt(r.p99Ms)} ms, ${r.answered}/${r.produced} answered, produced at ${fmt(r.producedPerSecond)}/s`,
  );
  line('  results by status (warm-up included)', JSON.stringify(r.statuses));
  return r;
}

function summarize(f: Figures): BenchSummary {
  const s = new BenchSummary();
  const c = f.core;
  const bare = f.bare?.recordsPerSecond ?? null;
  const fn = f.fn?.kind === 'measured' ? f.fn : null;
  if (c) {
    s.add(
      'handover → process started, warm, p50',
      `${fmt(c.warmP50)} ms`,
      ratioText(c.warmP50, c.coldP50, 'docker run p50', 3),
    );
    s.add('docker run --rm → process started, p50', `${fmt(c.coldP50)} ms`);
    s.add('engine ceiling create+start+remove', `${fmt(c.ceiling, 2)} containers/s`);
    s.add(
      `executor hot isolation, ${HOT_TASKS} tasks`,
      `${fmt(c.hotExecutor, 2)} tasks/s`,
      ratioText(c.hotExecutor, c.freshExecutor, 'executor fresh'),
    );
    s.add('worker produced → process started, p50', `${fmt(c.producedToStartP50)} ms`);
    s.add(
      `berth worker, fresh isolation, ${THROUGHPUT_TASKS} tasks`,
      `${fmt(c.worker, 2)} tasks/s (${c.workerOk} ok)`,
      ratioText(c.worker, c.naive, 'naive loop'),
    );
    s.add('berth worker ÷ engine ceiling', ratioText(c.worker, c.ceiling, '', 2).trim(), 'goal ≈ 1');
    s.add('berth worker ÷ bare KafkaJS loop', ratioText(c.worker, bare, '', 5).trim());
    s.add(`naive consume → docker run → produce, ${NAIVE_TASKS} tasks`, `${fmt(c.naive, 2)} tasks/s`);
  }
  if (f.bare)
    s.add(
      `bare KafkaJS loop, ${f.bare.records} × ${f.bare.recordBytes} B`,
      `${fmt(f.bare.recordsPerSecond, 0)} records/s`,
    );
  if (fn) {
    for (const k of [fn.c1, fn.c4]) {
      s.add(
        `Fn hot, concurrency ${k.concurrency}, ${k.calls} calls`,
        `${fmt(k.callsPerSecond, 0)} calls/s, p50/p99 ${fmt(k.p50Ms, 2)}/${fmt(k.p99Ms, 2)} ms`,
        c
          ? `berth worker = ${ratioText(c.worker, k.callsPerSecond, 'this', 4)}`
          : `bare KafkaJS loop = ${ratioText(bare, k.callsPerSecond, 'this')}`,
      );
    }
    if (fn.coldP50Ms !== null)
      s.add(
        'Fn cold call, p50',
        `${fmt(fn.coldP50Ms)} ms`,
        ratioText(fn.coldP50Ms, fn.dockerRunP50Ms, 'docker run --rm true (peer run)'),
      );
    for (const note of fn.notes) s.note(`Fn peer: ${note}`);
  } else if (f.fn?.kind === 'skipped') s.note(`Fn peer skipped: ${f.fn.why}`);
  if (f.backlog) {
    const b = f.backlog;
    s.add(
      `backlog ${b.backlog} ${b.kind} tasks, drain`,
      `${fmt(b.tasksPerSecond, 1)} tasks/s in ${fmt(b.drainSeconds)} s${b.complete ? '' : ` (timed out at ${b.results})`}`,
      ratioText(b.tasksPerSecond, bare, 'bare KafkaJS loop', 4),
    );
    if (b.rss)
      s.add(
        'backlog: worker RSS start/max/end',
        `${fmt(b.rss.startMiB)}/${fmt(b.rss.maxMiB)}/${fmt(b.rss.endMiB)} MiB`,
        `growth ${fmt(b.rss.growthMiB)} MiB`,
      );
  }
  if (f.offered) {
    const o = f.offered;
    s.add(
      `produced → result, ${o.kind} at ${o.offeredPerSecond}/s, p50/p99`,
      `${fmt(o.p50Ms)}/${fmt(o.p99Ms)} ms (${o.answered}/${o.produced})`,
      ratioText(o.p50Ms, fn?.c1.p50Ms ?? null, 'Fn hot c1 p50'),
    );
  }
  return s;
}

/** `npm run bench`: every enabled section in one run, then one table with ratios. */
async function main(): Promise<void> {
  const run = `bench${Date.now().toString(36)}`;
  const labels = { 'berth.bench': '1', 'berth.bench-run': run };
  const brokers = brokersFromEnv();
  const kafka = createKafka({ brokers, clientId: run });
  const ctx: RunContext = { run, labels, kafka, brokers };
  console.log(`berth bench: run ${run}\n`);
  const figures: Figures = { core: null, bare: null, fn: null, backlog: null, offered: null };
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
  const summary = summarize(figures);
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
