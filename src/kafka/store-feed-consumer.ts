import type { Consumer, Kafka } from 'kafkajs';
import { InfraError } from '../domain/infra-error.js';
import type { TopicRecord } from './client-topic-reader.js';

export interface StoreFeedConsumerOptions {
  readonly kafka: Kafka;
  /** Consumer group shared by every console of an installation: partitions are split between them. */
  readonly groupId: string;
  /** Topics to read from their beginning; those that do not exist (yet) are left out. */
  readonly topics: readonly string[];
  /**
   * Stores one batch (records of one partition, in offset order). Resolving means stored: the
   * offsets after them are committed next. Rejecting leaves them uncommitted; the consumer restarts
   * from the last commit and hands them over again.
   */
  readonly onBatch: (records: readonly TopicRecord[]) => Promise<void>;
  readonly log?: (line: string) => void;
  /** The consumer stopped for good (KafkaJS gave up restarting it): the console cannot keep up any more. */
  readonly onFatal?: (err: Error) => void;
}

/**
 * The console's feed: a committed consumer group over the results, DLQ, metrics, code and tasks
 * topics that commits a partition's offset only after `onBatch` stored the records before it.
 * At-least-once: after a crash or a rebalance some records are handed over again, which the
 * store absorbs (its writes are idempotent).
 */
export class StoreFeedConsumer {
  private readonly consumer: Consumer;
  private subscribed: string[] = [];

  constructor(private readonly opts: StoreFeedConsumerOptions) {
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
      retry: { retries: 10 },
    });
  }

  /** Topics actually followed (the ones that existed at start). */
  get topics(): readonly string[] {
    return this.subscribed;
  }

  async start(): Promise<void> {
    try {
      const admin = this.opts.kafka.admin();
      await admin.connect();
      const existing = new Set(await admin.listTopics().finally(() => admin.disconnect()));
      this.subscribed = this.opts.topics.filter((t) => existing.has(t));
      const missing = this.opts.topics.filter((t) => !existing.has(t));
      if (missing.length > 0) this.opts.log?.(`not following missing topics: ${missing.join(', ')}`);
      await this.consumer.connect();
      this.consumer.on(this.consumer.events.CRASH, (e) => {
        if (!e.payload.restart) this.opts.onFatal?.(e.payload.error);
      });
      await this.consumer.subscribe({ topics: this.subscribed, fromBeginning: true });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (batch.messages.length === 0 || !isRunning() || isStale()) return;
          const records: TopicRecord[] = batch.messages.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: textHeaders(m.headers),
            timestampMs: Number(m.timestamp),
          }));
          await this.opts.onBatch(records);
          const last = batch.messages[batch.messages.length - 1]?.offset as string;
          resolveOffset(last);
          await this.consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
          ]);
          await heartbeat();
        },
      });
    } catch (err) {
      throw new InfraError(
        `console cannot follow ${this.opts.topics.join(', ')}: ${(err as Error).message}`,
        {
          retriable: true,
          component: 'kafka',
          cause: err,
        },
      );
    }
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

function textHeaders(h: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
  }
  return out;
}
