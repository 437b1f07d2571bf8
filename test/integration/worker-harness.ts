import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Consumer, Producer } from 'kafkajs';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';
import { taskResultCodec } from '../../src/codecs/task-result-codec.js';
import { workerStatsCodec } from '../../src/codecs/worker-stats-codec.js';
import { loadWorkerConfig, type WorkerConfig, type WorkerFlags } from '../../src/config/worker-config.js';
import { noOpTelemetry } from '../../src/domain/no-op-telemetry.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import type { TelemetryPort } from '../../src/domain/telemetry-port.js';
import type { WorkerStats } from '../../src/domain/worker-stats.js';
import { deleteBerthTopics, ensureTopics } from '../../src/kafka/kafka-admin.js';
import { createKafka } from '../../src/kafka/kafka-connection.js';
import { type TopicNames, topicNames } from '../../src/kafka/topic-names.js';
import { composeWorker } from '../../src/worker/compose-worker.js';
import type { Worker } from '../../src/worker/worker.js';

export interface WorkerHarnessOptions {
  /**
   * Value of the `berth.test-run` label (default: this harness's prefix). Harnesses given the same
   * value put the same test labels on their containers, so their workers' reapers see each
   * other's containers, as installations sharing one engine do.
   */
  readonly runLabel?: string;
}

/** Shared set-up for worker integration tests: random topics, a producer, a results follower. */
export class WorkerHarness {
  readonly prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
  readonly topics: TopicNames = topicNames(this.prefix);
  readonly kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: `test-${this.prefix}` });
  /** Every container of this run carries these labels. */
  readonly labels: { readonly 'berth.test': string; readonly 'berth.test-run': string };
  readonly results: { result: TaskResult; key: string }[] = [];
  readonly dlq: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[] = [];
  readonly retries: { event: TaskEvent; headers: Record<string, string> }[] = [];
  /** WorkerStats seen on the metrics topic. */
  readonly stats: WorkerStats[] = [];
  private producer: Producer | null = null;
  private followers: Consumer[] = [];
  private readonly workers: Worker[] = [];

  constructor(opts: WorkerHarnessOptions = {}) {
    this.labels = { 'berth.test': '1', 'berth.test-run': opts.runLabel ?? this.prefix };
  }

  async setUp(tasksPartitions: number): Promise<void> {
    await ensureTopics(this.kafka, this.prefix, tasksPartitions);
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    await this.follow(this.topics.results, (m) =>
      this.results.push({ result: taskResultCodec.decode(m.value as Buffer), key: String(m.key) }),
    );
    await this.follow(this.topics.dlq, (m) =>
      this.dlq.push({ key: m.key, value: m.value, headers: headers(m.headers) }),
    );
    await this.follow(this.topics.retry, (m) =>
      this.retries.push({ event: taskEventCodec.decode(m.value as Buffer), headers: headers(m.headers) }),
    );
    await this.follow(this.topics.metrics, (m) =>
      this.stats.push(workerStatsCodec.decode(m.value as Buffer)),
    );
  }

  private async follow(
    topic: string,
    onMessage: (m: { key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown> }) => void,
  ): Promise<void> {
    const c = this.kafka.consumer({ groupId: `${this.prefix}-follow-${topic}`, maxWaitTimeInMs: 200 });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => onMessage(message) });
    this.followers.push(c);
  }

  /** The run's labels as a `--container-labels` value (`k=v,k=v`). */
  labelList(): string {
    return Object.entries(this.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }

  /**
   * argv (after `node`) of a `berth worker` process of this run: the built CLI on this run's
   * prefix, with its container labels, metrics on a free port, stats every second and the run's
   * code cache; `flags` (name → value, no leading `--`) add to or replace those.
   */
  processWorkerArgv(workerId: string, flags: Readonly<Record<string, string>> = {}): string[] {
    const all: Record<string, string> = {
      'topic-prefix': this.prefix,
      'worker-id': workerId,
      'container-labels': this.labelList(),
      'metrics-port': '0',
      'stats-interval-ms': '1000',
      'code-cache-dir': join(tmpdir(), `berth-code-${this.prefix}`),
      ...flags,
    };
    return ['dist/cli/main.js', 'worker', ...Object.entries(all).map(([k, v]) => `--${k}=${v}`)];
  }

  config(flags: WorkerFlags = {}): WorkerConfig {
    return loadWorkerConfig(
      {
        topicPrefix: this.prefix,
        workerId: `w-${this.prefix}-${this.workers.length}`,
        containerLabels: this.labelList(),
        statsIntervalMs: '1000',
        warmPoolSize: '1',
        retryBaseDelayMs: '500',
        retryMaxDelayMs: '2000',
        codeCacheDir: join(tmpdir(), `berth-code-${this.prefix}`),
        ...flags,
      },
      {},
    );
  }

  /** Starts an in-process worker (real Kafka, real engine, no-op telemetry unless given). */
  async startWorker(flags: WorkerFlags = {}, telemetry: TelemetryPort = noOpTelemetry): Promise<Worker> {
    const worker = composeWorker(this.config(flags), {
      telemetry,
      log: (line) => process.env.BERTH_TEST_LOG && process.stderr.write(`${line}\n`),
    });
    this.workers.push(worker);
    await worker.start();
    return worker;
  }

  async send(
    events: readonly { key?: string; event?: TaskEvent; raw?: Buffer; partition?: number }[],
  ): Promise<void> {
    const producer = this.producer as Producer;
    const messages = events.map((e) => ({
      key: e.key ?? e.event?.id ?? null,
      value: e.raw ?? taskEventCodec.encode(e.event as TaskEvent),
      ...(e.partition === undefined ? {} : { partition: e.partition }),
    }));
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic: this.topics.tasks, acks: -1, messages: messages.slice(i, i + 500) });
    }
  }

  async sendRaw(topic: string, key: string, value: Buffer): Promise<void> {
    await (this.producer as Producer).send({ topic, acks: -1, messages: [{ key, value }] });
  }

  /** Waits until `predicate` holds, polling; throws with `what` after `timeoutMs`. */
  async until(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  resultsFor(id: string): TaskResult[] {
    return this.results.filter((r) => r.result.id === id).map((r) => r.result);
  }

  /** Containers of this run still present on the engine. */
  containers(): string[] {
    const filters = Object.entries(this.labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
    const out = execFileSync('docker', ['ps', '-aq', ...filters])
      .toString()
      .trim();
    return out === '' ? [] : out.split('\n');
  }

  async tearDown(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close().catch(() => undefined)));
    await Promise.all(this.followers.map((c) => c.disconnect().catch(() => undefined)));
    await this.producer?.disconnect().catch(() => undefined);
    const left = this.containers();
    if (left.length > 0) execFileSync('docker', ['rm', '-f', ...left]);
    await deleteBerthTopics(this.kafka, this.prefix).catch(() => undefined);
    rmSync(join(tmpdir(), `berth-code-${this.prefix}`), { recursive: true, force: true });
  }
}

function headers(h: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined) out[k] = String(v);
  return out;
}

/** An inline task event with defaults. */
export function inlineEvent(
  id: string,
  stack: string,
  command: string[],
  over: Partial<TaskEvent> = {},
): TaskEvent {
  return {
    id,
    code: null,
    inline: { stack, command, env: {} },
    payload: Buffer.from(''),
    priority: 1,
    timeoutMs: 30_000,
    maxAttempts: 1,
    attempt: 1,
    memoryBytes: 64 * 1024 * 1024,
    network: null,
    labels: {},
    createdAtMs: Date.now(),
    ...over,
  };
}

/** Stacks present on this engine, in preference order. */
export function availableStacks(preferred: readonly string[]): string[] {
  return preferred.filter((s) => {
    try {
      execFileSync('docker', ['image', 'inspect', `berth/stack-${s}:current`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
}
