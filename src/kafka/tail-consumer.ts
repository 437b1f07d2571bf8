import type { Consumer, Kafka } from 'kafkajs';
import { InfraError } from '../domain/infra-error.js';

export interface TailRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface TailConsumerOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** A group of its own (e.g. per worker), so every member sees every partition. */
  readonly groupId: string;
  readonly onRecord: (record: TailRecord) => void;
  readonly log?: (line: string) => void;
}

/**
 * Follows a topic from its end across all partitions with a group of its own: used for
 * berth.control (cancels) and berth.metrics (other workers' heartbeats). Offsets are committed
 * automatically: missing an old record here loses nothing (cancels are best effort, heartbeats
 * are periodic). `onRecord` must not throw.
 */
export class TailConsumer {
  private readonly consumer: Consumer;
  private started = false;

  constructor(private readonly opts: TailConsumerOptions) {
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      maxWaitTimeInMs: 500,
      retry: { retries: 10 },
    });
  }

  async start(): Promise<void> {
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: false });
      await this.consumer.run({
        eachMessage: async ({ message }) => this.opts.onRecord({ key: message.key, value: message.value }),
      });
      this.started = true;
    } catch (err) {
      throw new InfraError(`cannot follow ${this.opts.topic}: ${(err as Error).message}`, {
        retriable: true,
        component: 'kafka',
        cause: err,
      });
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
