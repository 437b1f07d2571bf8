import type { Consumer, Kafka } from 'kafkajs';
import { InfraError } from '../domain/infra-error.js';

export interface TailRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The record's timestamp, epoch ms. */
  readonly timestampMs: number;
  /** A header's value as UTF-8 (the first when repeated); null when absent. */
  header(name: string): string | null;
}

interface Rewind {
  readonly partition: number;
  readonly offset: bigint;
  readonly end: bigint;
}

export interface TailConsumerOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** A group of its own (e.g. per worker), so every member sees every partition. */
  readonly groupId: string;
  readonly onRecord: (record: TailRecord) => void;
  /**
   * When set, start reading at the first record written in the last `rewindMs` (by record
   * timestamp) instead of the end, so recent records published before this consumer joined are
   * seen too (e.g. cancels for tasks still to come). `start` then resolves once the records up to
   * the end at start time were handed to `onRecord` (or after `catchUpTimeoutMs`, default 10 s).
   * Records may be seen twice.
   */
  readonly rewindMs?: number;
  readonly catchUpTimeoutMs?: number;
  /**
   * Fetch batching: the broker answers a fetch once it has `minBytes` (default 1) or after
   * `maxWaitMs` (default 500). A follower of a busy topic that may lag a little (the idempotency
   * memory) sets a larger `minBytes` so records arrive in fewer, larger fetches.
   */
  readonly minBytes?: number;
  readonly maxWaitMs?: number;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
}

/**
 * Follows a topic from its end (or from `rewindMs` ago) across all partitions with a group of its
 * own: used for berth.control (cancels) and berth.metrics (other workers' heartbeats). Offsets are
 * committed automatically: missing an old record here loses nothing (cancels are best effort,
 * heartbeats are periodic). `onRecord` must not throw.
 */
export class TailConsumer {
  private readonly consumer: Consumer;
  private started = false;
  /** While rewinding: partitions not yet read up to their end at start → that end. */
  private readonly pendingEnds = new Map<number, bigint>();

  constructor(private readonly opts: TailConsumerOptions) {
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      maxWaitTimeInMs: opts.maxWaitMs ?? 500,
      minBytes: opts.minBytes ?? 1,
      retry: { retries: 10 },
    });
  }

  async start(): Promise<void> {
    try {
      const rewind = await this.rewindOffsets();
      for (const r of rewind) if (r.offset < r.end) this.pendingEnds.set(r.partition, r.end);
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: false });
      // One synchronous pass per fetched batch: eachMessage would await a promise, check the
      // heartbeat and resolve the offset per record, which costs more than most onRecord calls.
      await this.consumer.run({
        eachBatch: async ({ batch }) => {
          const end = this.pendingEnds.get(batch.partition);
          for (const message of batch.messages) {
            const headers = message.headers;
            this.opts.onRecord({
              key: message.key,
              value: message.value,
              timestampMs: Number(message.timestamp),
              header: (name) => {
                const v = headers?.[name];
                const first = Array.isArray(v) ? v[0] : v;
                return first === undefined ? null : first.toString();
              },
            });
          }
          // The last record before the end at start was handed over (records from the end,
          // fetched before the seek applied, do not count).
          if (end !== undefined && batch.messages.some((m) => BigInt(m.offset) + 1n === end))
            this.pendingEnds.delete(batch.partition);
        },
      });
      // Seeks are applied on the next fetch of each assigned partition (this group's only member
      // is assigned all of them); records fetched from the end before that are seen again.
      for (const { partition, offset } of rewind) {
        this.consumer.seek({ topic: this.opts.topic, partition, offset: offset.toString() });
      }
      await this.catchUp();
      this.started = true;
    } catch (err) {
      throw new InfraError(`cannot follow ${this.opts.topic}: ${(err as Error).message}`, {
        retriable: true,
        component: 'kafka',
        cause: err,
      });
    }
  }

  /**
   * Per partition, the first offset at or after `now - rewindMs` (the end when none) and the end
   * now; [] without rewind.
   */
  private async rewindOffsets(): Promise<Rewind[]> {
    const rewindMs = this.opts.rewindMs;
    if (rewindMs === undefined || rewindMs <= 0) return [];
    const admin = this.opts.kafka.admin();
    await admin.connect();
    try {
      const since = (this.opts.now ?? Date.now)() - rewindMs;
      const from = await admin.fetchTopicOffsetsByTimestamp(this.opts.topic, since);
      const ends = await admin.fetchTopicOffsets(this.opts.topic);
      return from.map(({ partition, offset }) => ({
        partition,
        offset: BigInt(offset),
        end: BigInt(ends.find((e) => e.partition === partition)?.high ?? offset),
      }));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Waits until every rewound partition was read up to its end at start, or the timeout. */
  private async catchUp(): Promise<void> {
    const timeoutMs = this.opts.catchUpTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    while (this.pendingEnds.size > 0) {
      if (Date.now() > deadline) {
        this.opts.log?.(`${this.opts.topic}: not caught up after ${timeoutMs} ms, following anyway`);
        this.pendingEnds.clear();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    this.started = false;
    await this.consumer.disconnect().catch(() => undefined);
  }

  get isStarted(): boolean {
    return this.started;
  }
}
