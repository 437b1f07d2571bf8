import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, IHeaders, Kafka } from 'kafkajs';
import { withRetry } from '../resilience/retry.js';
import { kafkaFailure } from './client-errors.js';

/** One record as Berth readers see it: headers decoded to strings, offsets as decimal strings. */
export interface TopicRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestampMs: number;
}

export interface TopicReaderOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /**
   * `earliest`: every record still on the topic; `latest`: only records produced after `start()`;
   * `{ timestampMs }`: from each partition's first record stamped at or after that time (the
   * broker's offsets-for-times lookup, so nothing before it is read).
   */
  readonly from: 'earliest' | 'latest' | { readonly timestampMs: number };
  /** Called once per record, in offset order within a partition. Errors stop the reader. */
  readonly onRecord: (record: TopicRecord) => void | Promise<void>;
  /** Brokers, for error messages only. */
  readonly brokers?: readonly string[];
  readonly groupPrefix?: string;
  /**
   * Longest a fetch waits on the broker for new records (default 500). `close()` waits for the
   * fetch in flight, so short-lived scans use a small value.
   */
  readonly maxWaitMs?: number;
}

/**
 * Reads a topic with a throwaway consumer group that never commits, so each reader sees the topic
 * independently. Contract: after `start()` resolves, every record produced later is delivered (for
 * `latest` the start offsets are taken before start resolves); `waitUntilCaughtUp()` resolves once
 * everything that was on the topic when it was called has been delivered.
 */
export class TopicReader {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  /** Next offset to deliver, per partition. */
  private readonly next = new Map<number, bigint>();
  private readonly waiters = new Set<() => void>();
  private failure: unknown = null;
  private started = false;

  constructor(private readonly opts: TopicReaderOptions) {
    const groupId = `${opts.groupPrefix ?? 'berth-reader'}-${randomUUID()}`;
    this.consumer = opts.kafka.consumer({
      groupId,
      retry: { retries: 3 },
      sessionTimeout: 30_000,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: opts.maxWaitMs ?? 500,
    });
    this.admin = opts.kafka.admin({ retry: { retries: 2 } });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.admin.connect();
      const startOffsets = await this.startOffsets();
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: [this.opts.topic], fromBeginning: true });
      this.consumer.on(this.consumer.events.CRASH, (e) => {
        if (!e.payload.restart) this.fail(e.payload.error);
      });
      await this.consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => this.deliver(partition, message),
      });
      for (const [partition, offset] of startOffsets ?? []) {
        this.next.set(partition, offset);
        this.consumer.seek({ topic: this.opts.topic, partition, offset: offset.toString() });
      }
    } catch (err) {
      await this.close();
      throw kafkaFailure(err, `reading ${this.opts.topic}`, this.opts.brokers ?? null);
    }
  }

  /** Resolves when all records present now were delivered; rejects after `timeoutMs`. */
  async waitUntilCaughtUp(timeoutMs: number): Promise<void> {
    const targets = await this.highWatermarks().catch((err) => {
      throw kafkaFailure(err, `reading offsets of ${this.opts.topic}`, this.opts.brokers ?? null);
    });
    const done = () => [...targets].every(([p, high]) => (this.next.get(p) ?? -1n) >= high || high === 0n);
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.failure) finish(() => reject(this.failure));
        else if (done()) finish(resolve);
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`not caught up with ${this.opts.topic} after ${timeoutMs} ms`))),
        timeoutMs,
      );
      const finish = (fn: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        fn();
      };
      this.waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }

  /** Where each partition starts, or null to read from the earliest offset. */
  private async startOffsets(): Promise<Map<number, bigint> | null> {
    const from = this.opts.from;
    if (from === 'earliest') return null;
    if (from === 'latest') return this.highWatermarks();
    const offsets = await this.admin.fetchTopicOffsetsByTimestamp(this.opts.topic, from.timestampMs);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.offset)]));
  }

  /**
   * High watermark per partition; partitions whose low equals high count as empty (0). KafkaJS's
   * admin gives up at once on a retriable error other than an unknown topic, such as "not the
   * leader" for a partition created a moment ago: those are retried here.
   */
  private async highWatermarks(): Promise<Map<number, bigint>> {
    const offsets = await withRetry(
      () =>
        this.admin.fetchTopicOffsets(this.opts.topic).catch((err: unknown) => {
          throw kafkaFailure(err, `reading offsets of ${this.opts.topic}`, this.opts.brokers ?? null);
        }),
      { attempts: 6, baseDelayMs: 200, maxDelayMs: 1000 },
    );
    return new Map(offsets.map((o) => [o.partition, o.low === o.high ? 0n : BigInt(o.high)]));
  }

  private async deliver(
    partition: number,
    message: {
      offset: string;
      key: Buffer | null;
      value: Buffer | null;
      headers?: IHeaders;
      timestamp: string;
    },
  ): Promise<void> {
    const offset = BigInt(message.offset);
    const floor = this.next.get(partition);
    if (floor !== undefined && offset < floor) return; // before a `latest` start position
    await this.opts.onRecord({
      topic: this.opts.topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: headersToStrings(message.headers),
      timestampMs: Number(message.timestamp),
    });
    this.next.set(partition, offset + 1n);
    for (const w of [...this.waiters]) w();
  }

  private fail(err: unknown): void {
    this.failure = kafkaFailure(err, `reading ${this.opts.topic}`, this.opts.brokers ?? null);
    for (const w of [...this.waiters]) w();
  }
}

export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}
