import type { Kafka } from 'kafkajs';
import { type CodeFeedPort, type CodeRecord, type CodeTopicPort, codeRecordKey } from '../code/code-ports.js';
import { codePackageCodec } from '../codecs/code-package-codec.js';
import { DecodeError } from '../codecs/codec.js';
import type { CodePackage } from '../domain/code-package.js';
import { ClientProducer } from './client-producer.js';
import { TopicReader } from './client-topic-reader.js';
import { topicMaxMessageBytes } from './code-topic-config.js';

export interface KafkaCodeTopicOptions {
  readonly kafka: Kafka;
  /** The code topic, e.g. `berth.code`. */
  readonly topic: string;
  readonly brokers?: readonly string[];
  /** How long `readAll` may take to read the whole topic. */
  readonly readTimeoutMs?: number;
}

/** `CodeTopicPort` over Kafka: a throwaway reader for snapshots, an idempotent producer for pushes. */
export class KafkaCodeTopic implements CodeTopicPort {
  private producer: ClientProducer | null = null;

  constructor(private readonly opts: KafkaCodeTopicOptions) {}

  async readAll(): Promise<CodePackage[]> {
    const packages: CodePackage[] = [];
    const reader = new TopicReader({
      kafka: this.opts.kafka,
      topic: this.opts.topic,
      from: 'earliest',
      brokers: this.opts.brokers,
      groupPrefix: 'berth-code-read',
      maxWaitMs: 100,
      onRecord: async (r) => {
        if (!r.value) return;
        try {
          packages.push(await codePackageCodec.decodeAsync(r.value));
        } catch (err) {
          // An undecodable record is not a package; the catalog reports such records. A schema
          // registry that cannot answer fails the read instead.
          if (!(err instanceof DecodeError)) throw err;
        }
      },
    });
    try {
      await reader.start();
      await reader.waitUntilCaughtUp(this.opts.readTimeoutMs ?? 30_000);
    } finally {
      await reader.close();
    }
    return packages;
  }

  maxMessageBytes(): Promise<number> {
    return topicMaxMessageBytes(this.opts.kafka, this.opts.topic, this.opts.brokers ?? null);
  }

  async publish(pkg: CodePackage): Promise<void> {
    this.producer ??= new ClientProducer(this.opts.kafka, this.opts.brokers ?? null);
    await this.producer.send(this.opts.topic, [
      { key: codeRecordKey(pkg.name, pkg.revision), value: codePackageCodec.encode(pkg) },
    ]);
  }

  async close(): Promise<void> {
    await this.producer?.close();
  }
}

/** `CodeFeedPort` over Kafka: follows the code topic from the beginning, never committing. */
export class KafkaCodeFeed implements CodeFeedPort {
  private reader: TopicReader | null = null;

  constructor(private readonly opts: KafkaCodeTopicOptions) {}

  async start(onRecord: (record: CodeRecord) => Promise<void>): Promise<void> {
    this.reader = new TopicReader({
      kafka: this.opts.kafka,
      topic: this.opts.topic,
      from: 'earliest',
      brokers: this.opts.brokers,
      groupPrefix: 'berth-code-feed',
      onRecord: (r) =>
        onRecord({
          key: r.key?.toString() ?? null,
          value: r.value,
          offset: r.offset,
          partition: r.partition,
        }),
    });
    await this.reader.start();
  }

  async waitUntilCaughtUp(timeoutMs: number): Promise<void> {
    if (!this.reader) throw new Error('code feed not started');
    await this.reader.waitUntilCaughtUp(timeoutMs);
  }

  async close(): Promise<void> {
    await this.reader?.close();
  }
}
