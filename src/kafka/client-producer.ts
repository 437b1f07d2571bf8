import type { Kafka, Producer } from 'kafkajs';
import { kafkaFailure } from './client-errors.js';
import { keyPartitioner } from './key-partitioner.js';

export interface OutgoingRecord {
  readonly key: string | Buffer | null;
  /** Null: a tombstone (deletes the key on a compacted topic). */
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * An idempotent, acks=all producer for producer-side code (SDK, CLI, code push). Contract: `send`
 * resolves once every record is acknowledged by all in-sync replicas, or rejects with an
 * `InfraError` (`BrokerUnreachableError` when no broker answers). Connects lazily, once.
 */
export class ClientProducer {
  private readonly producer: Producer;
  private connecting: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly brokers: readonly string[] | null,
  ) {
    // Bounded retries: a producer-side caller wants an error within seconds, not an endless wait.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: keyPartitioner,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    });
  }

  async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    try {
      this.connecting ??= this.producer.connect();
      await this.connecting;
      await this.producer.send({
        topic,
        acks: -1,
        messages: records.map((r) => ({
          key: r.key,
          value: r.value,
          headers: r.headers ? { ...r.headers } : undefined,
        })),
      });
    } catch (err) {
      this.connecting = null;
      throw kafkaFailure(err, `publish to ${topic}`, this.brokers);
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
