import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { taskResultCodec } from '../codecs/task-result-codec.js';
import { loadConsoleConfig } from '../console/console-config.js';
import { ConsoleHttp } from '../console/console-http.js';
import { startConsole } from '../console/console-service.js';
import { ResultStore, type StoreBatch } from '../console/result-store.js';
import { openStore } from '../console/store-connection.js';
import { StoreFeed } from '../console/store-feed.js';
import { migrateStore } from '../console/store-migrations.js';
import { attemptRow, finishedTaskRow, type RecordMeta } from '../console/store-records.js';
import { TaskActions } from '../console/task-actions.js';
import { NO_OUTPUT, type TaskResult, type TaskStatus } from '../domain/task-result.js';
import { deleteGroupsWithPrefix } from '../kafka/group-cleanup.js';
import { deleteBerthTopics, ensureTopics } from '../kafka/kafka-admin.js';
import { brokersFromEnv, createKafka } from '../kafka/kafka-connection.js';
import { topicNames } from '../kafka/topic-names.js';
import { fmt, percentile } from './bench-stats.js';

/**
 * `npm run bench:console [-- RESULTS]`: the console's figures (docs/console.md "Measured").
 * 1. Query: RESULTS synthetic results (default 100,000) written into a SQLite store, then filtered
 *    pages through the HTTP API, timed per request (p50/p95).
 * 2. Ingest: the same number of results produced on a results topic (random prefix), then read and
 *    stored by a console from the beginning: results/s, against the worker's ≈ 2,000 tasks/s.
 * 3. `berth task ID` with BERTH_CONSOLE_URL against that console vs the topic scan.
 */
const run = promisify(execFile);
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
const STATUSES: TaskStatus[] = ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
const T0 = Date.now() - 3_600_000;

function syntheticResult(i: number, prefix: string): TaskResult {
  return {
    ...NO_OUTPUT,
    stdout: Buffer.from(`task ${i} says hello\n`),
    id: `${prefix}-task-${i}`,
    attempt: 1,
    status: STATUSES[i % STATUSES.length] as TaskStatus,
    exitCode: 0,
    reason: null,
    stack: ['shell', 'python-3.11', 'node-20'][i % 3] as string,
    stackImage: 'sha256:0123',
    codeName: `pkg-${i % 20}`,
    codeRevision: 1 + (i % 4),
    codeDigest: null,
    workerId: `worker-${i % 4}`,
    sourceTopic: `${prefix}.tasks`,
    sourcePartition: i % 4,
    sourceOffset: String(i),
    queueWaitMs: 2,
    startLatencyMs: 10,
    runMs: 50,
    finishedAtMs: T0 + i * 30,
    labels: { team: `team-${i % 10}` },
    returnValue: null,
  };
}

function timed(label: string, ms: number[]): string {
  return `${label.padEnd(44)} p50 ${fmt(percentile(ms, 50))} ms  p95 ${fmt(percentile(ms, 95))} ms  (${ms.length} requests)`;
}

async function queryBench(n: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-console-bench-'));
  const conn = openStore({ kind: 'sqlite', path: join(dir, 'store.sqlite') });
  try {
    await migrateStore(conn.db as never, conn.dialect);
    const store = new ResultStore(conn.db);
    const started = Date.now();
    for (let i = 0; i < n; i += 1000) {
      const finished: StoreBatch['finished'][number][] = [];
      for (let j = i; j < Math.min(n, i + 1000); j++) {
        const r = syntheticResult(j, 'q');
        const meta: RecordMeta = {
          topic: 'q.results',
          partition: 0,
          offset: String(j),
          key: null,
          headers: {},
          timestampMs: 0,
        };
        finished.push({ task: finishedTaskRow(r, meta), attempt: attemptRow(r, meta) });
      }
      await store.write({ queued: [], finished, dlq: [], workers: [], packages: [] });
    }
    const fillS = (Date.now() - started) / 1000;
    console.log(
      `store fill: ${n} results in ${fmt(fillS)} s (${fmt(n / fillS, 0)} results/s, batches of 1000)`,
    );
    const topics = topicNames('q');
    const feed = new StoreFeed(store, topics);
    const http = new ConsoleHttp({
      store,
      feed,
      actions: new TaskActions(store, { send: async () => {} }, topics),
      token: null,
      describe: () => ({}),
    });
    const port = await http.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}/api/`;
    const queries: [string, string][] = [
      ['newest page (no filter)', 'tasks?limit=50'],
      ['status=FAILED', 'tasks?status=FAILED&limit=50'],
      ['package=pkg-7', 'tasks?package=pkg-7&limit=50'],
      ['stack=node-20&worker=worker-1', 'tasks?stack=node-20&worker=worker-1&limit=50'],
      ['label team=team-3 & status=SUCCEEDED', 'tasks?label=team%3Dteam-3&status=SUCCEEDED&limit=50'],
      ['time range (10 min window)', `tasks?from=${T0 + 600_000}&to=${T0 + 1_200_000}&limit=50`],
      ['status=TIMED_OUT, 3rd page by cursor', ''],
      ['one task with its attempts', `tasks/q-task-${Math.floor(n / 2)}`],
    ];
    for (const [label, path] of queries) {
      const ms: number[] = [];
      for (let k = 0; k < 200; k++) {
        const t = performance.now();
        if (path === '') {
          let cursor = '';
          for (let p = 0; p < 3; p++) {
            const body = (await (await fetch(`${base}tasks?status=TIMED_OUT&limit=50${cursor}`)).json()) as {
              nextCursor: string;
            };
            cursor = `&cursor=${body.nextCursor}`;
          }
          ms.push((performance.now() - t) / 3);
          continue;
        }
        const res = await fetch(base + path);
        if (!res.ok) throw new Error(`${path}: ${res.status}`);
        await res.json();
        ms.push(performance.now() - t);
      }
      console.log(timed(label, ms));
    }
    await http.close();
  } finally {
    await conn.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function timeCli(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t = performance.now();
  await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return performance.now() - t;
}

async function ingestBench(n: number): Promise<void> {
  const brokers = brokersFromEnv();
  const prefix = `cb${Date.now().toString(36)}`;
  const kafka = createKafka({ brokers, clientId: 'berth-console-bench' });
  const topics = topicNames(prefix);
  const dir = await mkdtemp(join(tmpdir(), 'berth-console-bench-'));
  await ensureTopics(kafka, prefix, 4);
  try {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const produced = Date.now();
    for (let i = 0; i < n; i += 2000) {
      const messages = [];
      for (let j = i; j < Math.min(n, i + 2000); j++) {
        const r = syntheticResult(j, prefix);
        messages.push({ key: r.id, value: taskResultCodec.encode(r) });
      }
      await producer.send({ topic: topics.results, acks: -1, messages });
    }
    await producer.disconnect();
    console.log(`produced ${n} results on ${topics.results} in ${fmt((Date.now() - produced) / 1000)} s`);
    const config = loadConsoleConfig(
      { port: '0', db: join(dir, 'store.sqlite') },
      { ...process.env, BERTH_TOPIC_PREFIX: prefix },
    );
    const started = Date.now();
    const c = await startConsole(config);
    while (c.feed.counters.results < n) {
      if (Date.now() - started > 30 * 60_000)
        throw new Error(`console stored ${c.feed.counters.results} of ${n} in 30 min`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const s = (Date.now() - started) / 1000;
    console.log(
      `console ingest: ${n} results from the topic's start stored in ${fmt(s)} s = ${fmt(n / s, 0)} results/s ` +
        `(${c.feed.counters.batches} batches; a worker's full rate is ≈ 2,000 tasks/s, docs/delivery.md)`,
    );
    const id = syntheticResult(Math.floor(n / 2), prefix).id;
    const env = { BERTH_TOPIC_PREFIX: prefix, BERTH_KAFKA_BROKERS: brokers.join(',') };
    const viaConsole: number[] = [];
    const viaScan: number[] = [];
    for (let k = 0; k < 3; k++) {
      viaConsole.push(await timeCli(['task', id], { ...env, BERTH_CONSOLE_URL: c.url }));
      viaScan.push(await timeCli(['task', id], { ...env, BERTH_CONSOLE_URL: '' }));
    }
    console.log(timed(`berth task ID, console (${n} results)`, viaConsole));
    console.log(timed(`berth task ID, topic scan (${n} results)`, viaScan));
    await c.close();
  } finally {
    await deleteBerthTopics(kafka, prefix).catch(() => undefined);
    await deleteGroupsWithPrefix(kafka, prefix).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

const n = Number(process.argv[2] ?? 100_000);
await queryBench(n);
await ingestBench(n);
process.exit(0);
