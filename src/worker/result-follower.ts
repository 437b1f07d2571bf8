import type { Codec } from '../codecs/codec.js';
import type { TaskResult } from '../domain/task-result.js';
import type { createKafka } from '../kafka/kafka-connection.js';
import { TailConsumer, type TailRecord } from '../kafka/tail-consumer.js';
import { HEADERS } from '../kafka/topic-names.js';
import type { RecentTaskIds } from '../ledger/recent-task-ids.js';

export interface ResultFollowerOptions {
  readonly kafka: ReturnType<typeof createKafka>;
  readonly resultsTopic: string;
  /** A group of this worker's own, so it reads every partition of berth.results. */
  readonly groupId: string;
  readonly codec: Codec<TaskResult>;
  readonly ids: RecentTaskIds;
  /** Results written this long ago and later are replayed at start. */
  readonly windowMs: number;
  readonly log: (line: string) => void;
}

/**
 * Feeds every result on berth.results, from every worker, into the idempotency memory. Results
 * are keyed by task id, so the results partition of a task has nothing to do with the tasks
 * partition it was submitted on: this follower therefore reads ALL results partitions, from the
 * first record of the last `windowMs` (by record timestamp) at start, and waits (bounded, 30 s)
 * until it caught up before the worker takes tasks. That is what rebuilds the memory after a
 * restart or when a partition moves to this worker. A result it cannot decode is skipped (the
 * memory is an optimisation of the at-least-once contract, never a condition for running).
 */
export class ResultFollower {
  private readonly tail: TailConsumer;

  constructor(private readonly o: ResultFollowerOptions) {
    this.tail = new TailConsumer({
      kafka: o.kafka,
      topic: o.resultsTopic,
      groupId: o.groupId,
      rewindMs: o.windowMs,
      catchUpTimeoutMs: 30_000,
      // Every worker reads every result: in batches of up to 256 KiB or 200 ms, whichever first
      // (a duplicate arriving within that lag of its original's result may still run).
      minBytes: 256 * 1024,
      maxWaitMs: 200,
      log: o.log,
      onRecord: (r) => this.onRecord(r),
    });
  }

  start(): Promise<void> {
    return this.tail.start();
  }

  stop(): Promise<void> {
    return this.tail.stop();
  }

  /**
   * A result published by a worker of this version carries its attempt and source in headers:
   * no decode (every worker reads every result, so this is on the high-rate path). Older ones
   * are decoded. The record's timestamp stands for the result's finish time (they differ by the
   * publish latency).
   */
  private onRecord(r: TailRecord): void {
    const attempt = r.header(HEADERS.resultAttempt);
    const source = r.header(HEADERS.resultSource);
    if (r.key !== null && attempt !== null && source !== null) {
      this.o.ids.resultSeen(r.key.toString(), Number(attempt), source, r.timestampMs);
      return;
    }
    void this.onResult(r.value);
  }

  private async onResult(value: Buffer | null): Promise<void> {
    if (value === null) return;
    try {
      const r = await this.o.codec.decodeAsync(value);
      this.o.ids.resultSeen(
        r.id,
        r.attempt,
        `${r.sourceTopic}/${r.sourcePartition}@${r.sourceOffset}`,
        r.finishedAtMs,
      );
    } catch {
      // Not a result this worker can read: it cannot be a duplicate's original either.
    }
  }
}
