import type { Codec } from '../codecs/codec.js';
import type { TaskEvent } from '../domain/task-event.js';
import type { TaskResult } from '../domain/task-result.js';
import { HEADERS, type TopicNames } from '../kafka/topic-names.js';
import { withRetry } from '../resilience/retry.js';
import { type OutgoingRecord, type RecordProducerPort, RecordTooLargeError } from './record-producer-port.js';

const SLIM_STREAM_BYTES = 64 * 1024;

/** A result small enough for any topic: bulk cut, flags and reason say so. */
export function slimResult(r: TaskResult): TaskResult {
  const note = 'result exceeded the results topic size limit: outputs dropped, stdout/stderr cut';
  return {
    ...r,
    stdout: r.stdout.subarray(0, SLIM_STREAM_BYTES),
    stdoutTruncated: r.stdoutTruncated || r.stdout.byteLength > SLIM_STREAM_BYTES,
    stderr: r.stderr.subarray(0, SLIM_STREAM_BYTES),
    stderrTruncated: r.stderrTruncated || r.stderr.byteLength > SLIM_STREAM_BYTES,
    outputs: [],
    outputsTruncated: r.outputsTruncated || r.outputs.length > 0,
    reason: r.reason === null ? note : `${r.reason}; ${note}`,
  };
}

/** Where a dead-lettered record came from. */
export interface DeadLetterSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface OutcomePublisherOptions {
  readonly producer: RecordProducerPort;
  readonly topics: TopicNames;
  readonly resultCodec: Codec<TaskResult>;
  readonly eventCodec: Codec<TaskEvent>;
  readonly workerId: string;
  /** Aborts endless publish retries (worker shutdown); the record is then not acknowledged. */
  readonly signal: AbortSignal;
  readonly retryBaseDelayMs?: number;
  readonly retryMaxDelayMs?: number;
  readonly onRetry?: (err: unknown) => void;
}

/**
 * Publishes the records that end a task: results, retries, dead letters. Contract: each method
 * resolves only once Kafka acknowledged the record; retriable failures are retried with backoff
 * until they succeed or `signal` aborts (then it rejects, and the caller must not commit).
 */
export class OutcomePublisher {
  constructor(private readonly opts: OutcomePublisherOptions) {}

  /**
   * Publishes a result; when the broker refuses its size, publishes it again without its bulk
   * (output files dropped, stdout/stderr cut to 64 KiB, truncated flags set, reason noted).
   */
  async publishResult(result: TaskResult, headers: Readonly<Record<string, string>> = {}): Promise<void> {
    const topic = this.opts.topics.results;
    try {
      await this.send(topic, { key: result.id, value: this.opts.resultCodec.encode(result), headers });
    } catch (err) {
      if (!(err instanceof RecordTooLargeError)) throw err;
      await this.send(topic, {
        key: result.id,
        value: this.opts.resultCodec.encode(slimResult(result)),
        headers,
      });
    }
  }

  /** `key` is the original record's key, so the retry keeps its ordering key. */
  publishRetry(
    key: Uint8Array | null,
    next: TaskEvent,
    notBeforeMs: number,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const value = this.opts.eventCodec.encode(next);
    return this.send(this.opts.topics.retry, {
      key: key ?? next.id,
      value,
      headers: { ...headers, [HEADERS.notBefore]: String(notBeforeMs) },
    });
  }

  /** Dead-letters the original key and bytes with reason and provenance headers. */
  publishDeadLetter(
    key: Uint8Array | null,
    value: Uint8Array,
    reason: string,
    source: DeadLetterSource,
  ): Promise<void> {
    return this.send(this.opts.topics.dlq, {
      key,
      value,
      headers: {
        [HEADERS.dlqReason]: reason,
        [HEADERS.dlqSourceTopic]: source.topic,
        [HEADERS.dlqSourcePartition]: String(source.partition),
        [HEADERS.dlqSourceOffset]: source.offset,
        [HEADERS.dlqWorker]: this.opts.workerId,
      },
    });
  }

  private send(topic: string, record: OutgoingRecord): Promise<void> {
    return withRetry(() => this.opts.producer.send(topic, [record]), {
      attempts: Number.POSITIVE_INFINITY,
      baseDelayMs: this.opts.retryBaseDelayMs ?? 200,
      maxDelayMs: this.opts.retryMaxDelayMs ?? 5000,
      signal: this.opts.signal,
      onRetry: (err) => this.opts.onRetry?.(err),
    });
  }
}
