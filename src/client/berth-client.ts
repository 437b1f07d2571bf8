import { DecodeError } from '../codecs/codec.js';
import { controlCodec } from '../codecs/control-codec.js';
import { enableSchemaRegistry } from '../codecs/schema-registry.js';
import { taskEventCodec } from '../codecs/task-event-codec.js';
import { taskResultCodec } from '../codecs/task-result-codec.js';
import type { KafkaSecurityConfig } from '../config/kafka-security-config.js';
import {
  parseSchemaRegistrySettings,
  type SchemaRegistryInput,
  type SchemaRegistrySettings,
} from '../config/schema-registry-settings.js';
import { laneOfPriority, PRIORITY_LANES } from '../domain/priority-lane.js';
import type { TaskEvent } from '../domain/task-event.js';
import type { TaskProgress } from '../domain/task-progress.js';
import type { TaskResult } from '../domain/task-result.js';
import { createClientKafka, type KafkaInstance } from '../kafka/client-kafka.js';
import { ClientProducer, type OutgoingRecord } from '../kafka/client-producer.js';
import { TopicReader } from '../kafka/client-topic-reader.js';
import { laneTopics, type TopicNames, topicNames } from '../kafka/topic-names.js';
import { injectTraceHeaders } from '../observability/trace-context.js';
import { ScheduleClient } from '../schedules/schedule-client.js';
import { AsyncQueue } from './async-queue.js';
import { AbortError, ResultTimeoutError } from './client-errors.js';
import { openProgressStream, type ProgressOptions, type ProgressStream } from './progress-stream.js';
import { ResultListener } from './result-listener.js';
import { finalResult, type ResultSource, TopicScanResultSource } from './result-source.js';
import { checkPayloadCap, payloadCapOf, type TaskInput, toTaskEvent } from './task-input.js';

export type BerthClientOptions = (
  | { readonly brokers: readonly string[]; readonly kafka?: undefined }
  | { readonly kafka: KafkaInstance; readonly brokers?: undefined }
) & {
  /** Topic prefix of the Berth installation; default `berth`. */
  readonly topicPrefix?: string;
  /** KafkaJS client id when the client creates its own Kafka instance. */
  readonly clientId?: string;
  /** TCP connect timeout per broker when the client creates its own Kafka instance; default 1500. */
  readonly connectionTimeoutMs?: number;
  /**
   * TLS and SASL when the client creates its own Kafka instance, the same settings object the
   * worker uses: `kafkaSecurityFromEnv()` (the `BERTH_KAFKA_SSL*` / `BERTH_KAFKA_SASL_*`
   * variables) or `kafkaSecurity({ … })`. Default plaintext. Print its `warnings` yourself.
   */
  readonly security?: KafkaSecurityConfig;
  /**
   * Largest payload sent, in bytes; a larger one throws `PayloadTooLargeError` before anything is
   * sent. Default: the worker's default cap, `DEFAULT_PAYLOAD_CAP_BYTES` (64 KiB); set it to the workers' `BERTH_PAYLOAD_CAP_BYTES`.
   */
  readonly payloadCapBytes?: number;
  /**
   * Schema registry mode, as the workers' `BERTH_SCHEMA_REGISTRY_*` (docs/wire-format.md): `url`
   * (user:password@ allowed), `username`, `password`, `requestTimeoutMs`, `caFile`. Before its
   * first send or read the client registers Berth's schemas under `<topic>-value` subjects, then
   * frames with the registry's ids and looks unknown ids up. Process-wide: every Berth codec in
   * the process uses the registry from then on. Default: fixed ids (schemas/ids.json).
   */
  readonly schemaRegistry?: SchemaRegistryInput;
  /**
   * Where `getResult` and `waitForResult` look up results published before the call; default a
   * scan of the results topic.
   */
  readonly resultSource?: ResultSource;
};

/** How long a wait may take and how to stop it. */
export interface WaitOptions {
  /** Reject with `ResultTimeoutError` after this long; default 5 minutes. */
  readonly timeoutMs?: number;
  /**
   * Aborting rejects the wait with `AbortError` and releases its timer and result subscription;
   * the task itself keeps running (`cancel(id)` stops it).
   */
  readonly signal?: AbortSignal;
  /**
   * Called with each progress record of the task (live output and progress, best effort) until
   * the wait ends. Records published before the wait started are not replayed. A listener that
   * throws loses that record, never the wait; should the progress topic not be readable, the wait
   * goes on without progress.
   */
  readonly onProgress?: (progress: TaskProgress) => void;
}

export interface SubmitAndWaitOptions extends WaitOptions {
  /** Called once Kafka acknowledged the task, before its result arrives (e.g. to allow a cancel). */
  readonly onSubmitted?: (taskId: string) => void;
}

/** Results as an async iterator; `ready` resolves once results produced from then on are seen. */
export type ResultStream = AsyncIterableIterator<TaskResult> & { readonly ready: Promise<void> };

export interface ResultsOptions {
  /** Only results of these task ids. */
  readonly ids?: readonly string[];
  /**
   * `latest` (default): results produced from now on; `earliest`: everything still on the topic;
   * `{ timestampMs }`: from the first result published at or after that time (offsets for times).
   */
  readonly from?: 'latest' | 'earliest' | { readonly timestampMs: number };
  /** Aborting ends the iteration (the pending `next()` resolves done) and closes its reader. */
  readonly signal?: AbortSignal;
}

/**
 * Submits tasks to Berth and reads their results, for any Node service. Contract: `submit`
 * resolves once the TaskEvent is acknowledged by Kafka (acks=all, idempotent producer) and
 * returns its id; Kafka failures reject with `InfraError` (`BrokerUnreachableError` when no broker
 * answers), invalid tasks with `TaskValidationError` (a `TypeError` listing field paths;
 * `PayloadTooLargeError` for a payload over the cap) before anything is sent or connected. The
 * W3C trace context active at `submit` travels in the record headers. Berth publishes one result
 * when a task ends (retries publish none), so waits resolve with the first result for the id.
 * Every wait takes an `AbortSignal`; aborting rejects with `AbortError` and frees what it held.
 */
export class BerthClient {
  readonly topics: TopicNames;
  private readonly topicPrefix: string;
  private readonly kafka: KafkaInstance;
  private readonly brokers: readonly string[] | undefined;
  private readonly payloadCapBytes: number;
  private readonly producer: ClientProducer;
  private readonly listener: ResultListener;
  private readonly resultSource: ResultSource;
  private readonly openStreams = new Set<AsyncQueue<TaskResult>>();
  private readonly openProgress = new Set<ProgressStream>();
  private readonly registry: SchemaRegistrySettings | null;
  private registryEnabled: Promise<void> | null = null;
  private schedulesClient: ScheduleClient | null = null;

  constructor(opts: BerthClientOptions) {
    this.topicPrefix = opts.topicPrefix ?? 'berth';
    this.topics = topicNames(this.topicPrefix);
    this.payloadCapBytes = payloadCapOf(opts.payloadCapBytes);
    this.registry = opts.schemaRegistry ? parseSchemaRegistrySettings(opts.schemaRegistry) : null;
    this.brokers = opts.brokers;
    this.kafka =
      opts.kafka ??
      createClientKafka(
        opts.brokers ?? [],
        opts.clientId ?? 'berth-client',
        opts.connectionTimeoutMs ?? 1500,
        opts.security,
      );
    this.producer = new ClientProducer(this.kafka, this.brokers ?? null);
    this.listener = new ResultListener(this.kafka, this.topics.results, this.brokers);
    this.resultSource =
      opts.resultSource ?? new TopicScanResultSource(this.kafka, this.topics.results, this.brokers);
  }

  /** Publishes one task; returns its id. */
  async submit(task: TaskInput): Promise<string> {
    const [id] = await this.submitMany([task]);
    return id as string;
  }

  /** Publishes tasks in one batch (all validated first); returns their ids in order. */
  async submitMany(tasks: readonly TaskInput[]): Promise<string[]> {
    const now = Date.now();
    const pending: { key: string; event: TaskEvent; headers: Record<string, string> }[] = [];
    for (const input of tasks) {
      const event = this.toEvent(input, now);
      taskEventCodec.encode(event); // throws TypeError for a value that does not fit, before any I/O
      const headers: Record<string, string> = {};
      injectTraceHeaders(headers);
      pending.push({ key: input.key ?? event.id, event, headers });
    }
    if (pending.length === 0) return [];
    await this.registryReady(); // registry mode: encode with the registry's id
    // Each task goes to its lane's tasks topic (high first, so it is on the wire soonest).
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const lane of PRIORITY_LANES) byTopic.set(laneTopics(this.topics, lane).tasks, []);
    for (const p of pending) {
      const topic = laneTopics(this.topics, laneOfPriority(p.event.priority)).tasks;
      byTopic.get(topic)?.push({ key: p.key, value: taskEventCodec.encode(p.event), headers: p.headers });
    }
    for (const [topic, records] of byTopic) if (records.length > 0) await this.producer.send(topic, records);
    return pending.map((p) => p.event.id);
  }

  /** The TaskEvent for `input`; throws before anything is sent when it is invalid or too large. */
  private toEvent(input: TaskInput, nowMs: number): TaskEvent {
    const event = toTaskEvent(input, nowMs);
    checkPayloadCap(event, this.payloadCapBytes);
    return event;
  }

  /**
   * Submits and resolves with the task's result, or rejects with `ResultTimeoutError` after
   * `timeoutMs` (default 5 minutes) or `AbortError` when `signal` aborts. The results reader is
   * running before the task is sent, so the result cannot be missed. A resubmit of an id within
   * the workers' idempotency window does not run again and publishes nothing: wait for such an
   * id with `waitForResult`, which also finds the result published for the first submit.
   */
  async submitAndWait(task: TaskInput, opts: SubmitAndWaitOptions = {}): Promise<TaskResult> {
    const event = this.toEvent(task, Date.now());
    await this.registryReady();
    // The results reader and the progress reader join their groups at the same time.
    const live = this.liveWait(event.id, opts);
    const ended = live.then((r) => r.promise);
    ended.catch(() => undefined);
    const [result] = await Promise.all([live, this.followProgress(event.id, opts, ended)]);
    try {
      await this.submit({ ...task, id: event.id });
    } catch (err) {
      result.release();
      throw err;
    }
    opts.onSubmitted?.(event.id);
    return result.promise;
  }

  /**
   * Resolves with the result of task `id`, submitted earlier by anyone: one already published
   * (looked up through the result source) or the first one to arrive. Rejects with
   * `ResultTimeoutError` after `timeoutMs` (default 5 minutes) or `AbortError` when `signal`
   * aborts. The live subscription starts before the lookup, so a result published in between is
   * not missed.
   */
  async waitForResult(id: string, opts: WaitOptions = {}): Promise<TaskResult> {
    const live = await this.liveWait(id, opts);
    void this.followProgress(id, opts, live.promise);
    const lookup = new AbortController();
    const stopLookup = () => lookup.abort();
    opts.signal?.addEventListener('abort', stopLookup, { once: true });
    live.promise.then(stopLookup, stopLookup);
    this.resultSource
      .resultsFor(id, { signal: lookup.signal })
      .then((found) => {
        const r = finalResult(found);
        if (r) live.settle(r);
      })
      .catch((err: unknown) => {
        // A lookup stopped because the wait ended is expected; any other failure ends the wait.
        if (!lookup.signal.aborted) live.fail(err);
      })
      .finally(() => opts.signal?.removeEventListener('abort', stopLookup));
    return live.promise;
  }

  /**
   * The result of task `id` if one was published (the final attempt's when several were), else
   * null; does not wait for a task still running (`waitForResult` does). Aborting `signal` rejects
   * with `AbortError` and stops the lookup.
   */
  async getResult(id: string, opts: { readonly signal?: AbortSignal } = {}): Promise<TaskResult | null> {
    const { signal } = opts;
    if (signal?.aborted) throw new AbortError(`getResult(${id})`, signal);
    try {
      return finalResult(await this.resultSource.resultsFor(id, { signal }));
    } catch (err) {
      if (signal?.aborted) throw new AbortError(`getResult(${id})`, signal);
      throw err;
    }
  }

  /**
   * Subscribes to the results of `id` from the live reader (started first) with timeout and abort.
   * `promise` settles once; `release` drops the subscription without settling (the task was
   * not sent); `settle`/`fail` end it from outside (a result found by lookup, a lookup failure).
   */
  private async liveWait(
    id: string,
    opts: WaitOptions,
  ): Promise<{
    promise: Promise<TaskResult>;
    release(): void;
    settle(r: TaskResult): void;
    fail(err: unknown): void;
  }> {
    const { signal } = opts;
    const what = `waiting for the result of task ${id}`;
    if (signal?.aborted) throw new AbortError(what, signal);
    const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
    await this.listener.start();
    if (signal?.aborted) throw new AbortError(what, signal);
    let resolveFn: (r: TaskResult) => void = () => {};
    let rejectFn: (e: unknown) => void = () => {};
    const promise = new Promise<TaskResult>((resolve, reject) => {
      resolveFn = resolve;
      rejectFn = reject;
    });
    let done = false;
    const release = () => {
      done = true;
      clearTimeout(timer);
      off();
      signal?.removeEventListener('abort', onAbort);
    };
    const end = (fn: () => void) => {
      if (done) return;
      release();
      fn();
    };
    const onAbort = () => end(() => rejectFn(new AbortError(what, signal as AbortSignal)));
    const timer = setTimeout(() => end(() => rejectFn(new ResultTimeoutError(id, timeoutMs))), timeoutMs);
    const off = this.listener.on(id, (r) => end(() => resolveFn(r)));
    signal?.addEventListener('abort', onAbort, { once: true });
    return {
      promise,
      release,
      settle: (r) => end(() => resolveFn(r)),
      fail: (err) => end(() => rejectFn(err)),
    };
  }

  /**
   * Results as they arrive (optionally only some ids), until the iterator is returned (e.g. `break`
   * in `for await`) or the client is closed. Each call reads the topic independently; with
   * `from: 'latest'`, await `ready` before submitting to be sure to see the results.
   */
  results(opts: ResultsOptions = {}): ResultStream {
    const ids = opts.ids ? new Set(opts.ids) : null;
    let reader: TopicReader | null = null;
    const queue: AsyncQueue<TaskResult> = new AsyncQueue(async () => {
      this.openStreams.delete(queue);
      await reader?.close();
    });
    reader = new TopicReader({
      kafka: this.kafka,
      topic: this.topics.results,
      from: opts.from ?? 'latest',
      brokers: this.brokers,
      groupPrefix: 'berth-client-results',
      onRecord: async (r) => {
        if (!r.value || (ids && !ids.has(r.key?.toString() ?? ''))) return;
        try {
          queue.push(await taskResultCodec.decodeAsync(r.value));
        } catch (err) {
          // Not a TaskResult: skipped, like any consumer of the topic would. A schema registry
          // that cannot answer is not a reason to skip: the stream fails with its InfraError.
          if (!(err instanceof DecodeError)) queue.fail(err);
        }
      },
    });
    this.openStreams.add(queue);
    if (opts.signal) {
      const stop = () => void queue.return();
      if (opts.signal.aborted) stop();
      else opts.signal.addEventListener('abort', stop, { once: true });
    }
    const started = reader;
    const ready = this.registryReady().then(() => started.start());
    ready.catch((err) => queue.fail(err));
    return Object.assign(queue, { ready });
  }

  /**
   * Live output and progress of tasks `ids` (every attempt) as they run, from the progress topic,
   * until the iterator is returned or the client is closed; it does not end by itself when a task
   * ends (wait for its result for that). With `from: 'latest'` await `ready` first to see
   * everything published afterwards.
   */
  progress(ids: string | readonly string[], opts: ProgressOptions = {}): ProgressStream {
    const stream = openProgressStream(
      this.kafka,
      this.topics.progress,
      this.brokers,
      typeof ids === 'string' ? [ids] : ids,
      opts,
      () => this.registryReady(),
      () => this.openProgress.delete(stream),
    );
    this.openProgress.add(stream);
    return stream;
  }

  /**
   * Passes the task's progress records to `opts.onProgress` until `ended` settles. Resolves once
   * the reader is positioned (so a task submitted afterwards cannot be missed) or failed — best
   * effort: a failure only means no progress.
   */
  private async followProgress(id: string, opts: WaitOptions, ended: Promise<unknown>): Promise<void> {
    const listener = opts.onProgress;
    if (listener === undefined) return;
    const stream = this.progress(id, {});
    const stop = () => void stream.return?.();
    ended.then(stop, stop);
    void (async () => {
      try {
        for await (const p of stream) {
          try {
            listener(p);
          } catch {
            // The caller's listener failing loses this record only.
          }
        }
      } catch {
        // Progress is best effort: a reader failure ends progress, not the wait.
      }
    })();
    await stream.ready.catch(() => undefined);
  }

  /** Asks workers to cancel a task (a Control on the control topic, keyed by task id). */
  async cancel(taskId: string, reason?: string): Promise<void> {
    await this.registryReady();
    const value = controlCodec.encode({
      taskId,
      action: 'CANCEL',
      reason: reason ?? null,
      requestedAtMs: Date.now(),
    });
    await this.producer.send(this.topics.control, [{ key: taskId, value }]);
  }

  /**
   * Schedules of this installation (docs/schedules.md): create, list, get, pause, resume, delete,
   * over this client's connection and producer.
   */
  get schedules(): ScheduleClient {
    this.schedulesClient ??= new ScheduleClient({
      kafka: this.kafka,
      topics: this.topics,
      producer: this.producer,
      payloadCapBytes: this.payloadCapBytes,
      ready: () => this.registryReady(),
    });
    return this.schedulesClient;
  }

  /** Registry mode: registers once (a failed try is repeated by the next call); else nothing. */
  private registryReady(): Promise<void> {
    const settings = this.registry;
    if (settings === null) return Promise.resolve();
    this.registryEnabled ??= enableSchemaRegistry(settings, { topicPrefix: this.topicPrefix }).then(
      () => undefined,
      (err: unknown) => {
        this.registryEnabled = null;
        throw err;
      },
    );
    return this.registryEnabled;
  }

  /** Stops result streams and disconnects; idempotent. */
  async close(): Promise<void> {
    await Promise.all([...this.openStreams, ...this.openProgress].map((q) => q.return?.()));
    await Promise.all([this.listener.close(), this.producer.close()]);
  }
}
