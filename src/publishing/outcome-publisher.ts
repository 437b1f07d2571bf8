import { createHash } from 'node:crypto';
import type { Codec } from '../codecs/codec.js';
import { laneOfPriority } from '../domain/priority-lane.js';
import type { TaskEvent } from '../domain/task-event.js';
import type { TaskResult } from '../domain/task-result.js';
import { HEADERS, laneTopics, type TopicNames } from '../kafka/topic-names.js';
import { withRetry } from '../resilience/retry.js';
import { type OutgoingRecord, type RecordProducerPort, RecordTooLargeError } from './record-producer-port.js';

const SLIM_STREAM_BYTES = 64 * 1024;
/** DLQ values above this are cut (and described by headers) before sending: topics default to 1 MiB. */
export const DLQ_VALUE_MAX_BYTES = 256 * 1024;
/** Reason texts (headers, results) are cut to this many characters. */
const REASON_MAX_CHARS = 1024;

function capReason(reason: string): string {
  return reason.length <= REASON_MAX_CHARS ? reason : `${reason.slice(0, REASON_MAX_CHARS - 1)}…`;
}

/** The smallest result that still says what happened: no output at all, the reason cut. */
export function minimalResult(r: TaskResult): TaskResult {
  const note = 'result exceeded the results topic size limit: all output dropped';
  return {
    ...slimResult(r),
    stdout: new Uint8Array(0),
    stdoutTruncated: r.stdout.byteLength > 0 || r.stdoutTruncated,
    stderr: new Uint8Array(0),
    stderrTruncated: r.stderr.byteLength > 0 || r.stderrTruncated,
    returnValue: null,
    labels: {},
    reason: capReason(r.reason === null ? note : `${note}; ${r.reason}`),
  };
}

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
   * (output files dropped, stdout/stderr cut to 64 KiB, truncated flags set, reason noted), and
   * when that is still too large, without any output (`minimalResult`) — which always fits.
   */
  async publishResult(result: TaskResult, headers: Readonly<Record<string, string>> = {}): Promise<void> {
    const topic = this.opts.topics.results;
    const capped =
      result.reason !== null && result.reason.length > REASON_MAX_CHARS
        ? { ...result, reason: capReason(result.reason) }
        : result;
    // Built by assignment (no spread or computed keys in a literal): once per task.
    const withSource: Record<string, string> = {};
    for (const name in headers) withSource[name] = headers[name] as string;
    withSource[HEADERS.resultAttempt] = String(result.attempt);
    withSource[HEADERS.resultSource] =
      `${result.sourceTopic}/${result.sourcePartition}@${result.sourceOffset}`;
    // Smaller shapes are built only when the broker refused the previous one (rare).
    const shapes = [() => capped, () => slimResult(capped), () => minimalResult(capped)];
    for (const [i, shape] of shapes.entries()) {
      try {
        await this.send(topic, {
          key: result.id,
          value: this.opts.resultCodec.encode(shape()),
          headers: withSource,
        });
        return;
      } catch (err) {
        if (!(err instanceof RecordTooLargeError) || i === shapes.length - 1) throw err;
      }
    }
  }

  /**
   * `key` is the original record's key, so the retry keeps its ordering key. The retry goes to
   * the retry topic of the task's lane (its priority), so it keeps its priority across workers.
   */
  publishRetry(
    key: Uint8Array | null,
    next: TaskEvent,
    notBeforeMs: number,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const value = this.opts.eventCodec.encode(next);
    return this.send(laneTopics(this.opts.topics, laneOfPriority(next.priority)).retry, {
      key: key ?? next.id,
      value,
      headers: { ...headers, [HEADERS.notBefore]: String(notBeforeMs) },
    });
  }

  /**
   * Dead-letters the original key and bytes with reason and provenance headers. A value larger
   * than `DLQ_VALUE_MAX_BYTES` — or one the broker refuses as too large — is cut (to that size,
   * then to nothing) and described by `berth-dlq-original-bytes`, `-original-sha256` and
   * `-truncated: true`, so every record, whatever its size, reaches the DLQ and its offset can
   * be committed.
   */
  async publishDeadLetter(
    key: Uint8Array | null,
    value: Uint8Array,
    reason: string,
    source: DeadLetterSource,
  ): Promise<void> {
    const headers = {
      [HEADERS.dlqReason]: capReason(reason),
      [HEADERS.dlqSourceTopic]: source.topic,
      [HEADERS.dlqSourcePartition]: String(source.partition),
      [HEADERS.dlqSourceOffset]: source.offset,
      [HEADERS.dlqWorker]: this.opts.workerId,
    };
    const cutTo = (bytes: number) => ({
      key,
      value: value.subarray(0, bytes),
      headers: {
        ...headers,
        [HEADERS.dlqOriginalBytes]: String(value.byteLength),
        [HEADERS.dlqOriginalSha256]: createHash('sha256').update(value).digest('hex'),
        [HEADERS.dlqTruncated]: 'true',
      },
    });
    const first =
      value.byteLength > DLQ_VALUE_MAX_BYTES ? cutTo(DLQ_VALUE_MAX_BYTES) : { key, value, headers };
    try {
      await this.send(this.opts.topics.dlq, first);
    } catch (err) {
      if (!(err instanceof RecordTooLargeError)) throw err;
      await this.send(this.opts.topics.dlq, cutTo(0));
    }
  }

  private send(topic: string, record: OutgoingRecord): Promise<void> {
    return withRetry(() => this.opts.producer.send(topic, [record]), {
      attempts: Number.POSITIVE_INFINITY,
      // Short: a result waiting for a broker that came back should go within a second.
      baseDelayMs: this.opts.retryBaseDelayMs ?? 100,
      maxDelayMs: this.opts.retryMaxDelayMs ?? 1000,
      signal: this.opts.signal,
      onRetry: (err) => this.opts.onRetry?.(err),
    });
  }
}
