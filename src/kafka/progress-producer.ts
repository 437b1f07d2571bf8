import type { Kafka, Producer } from 'kafkajs';
import { InfraError } from '../domain/infra-error.js';
import type { ProgressSendPort } from '../progress/progress-publisher.js';
import { keyPartitioner } from './key-partitioner.js';

/**
 * The producer of the progress topic, separate from the results producer so progress can never
 * queue ahead of a result: not idempotent, acks=1, few retries — progress is best effort. It
 * connects on first use (and again after a failure); a send while the broker is away rejects
 * with a retriable `InfraError`, which the publisher counts and drops. An installation created
 * before the progress topic existed gets it from `berth infra topics`; until then records fail.
 */
export class ProgressProducer implements ProgressSendPort {
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  async send(record: { readonly key: string; readonly value: Uint8Array }): Promise<void> {
    try {
      const producer = await this.connected();
      await producer.send({
        topic: this.topic,
        acks: 1,
        messages: [
          {
            key: record.key,
            value: Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
          },
        ],
      });
    } catch (err) {
      throw new InfraError(`progress to ${this.topic} not sent: ${(err as Error).message}`, {
        retriable: true,
        component: 'kafka',
        cause: err,
      });
    }
  }

  async disconnect(): Promise<void> {
    const p = this.producer ?? (await this.connecting?.catch(() => null)) ?? null;
    this.producer = null;
    this.connecting = null;
    await p?.disconnect().catch(() => undefined);
  }

  private connected(): Promise<Producer> {
    if (this.producer !== null) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const p = this.kafka.producer({
        idempotent: false,
        retry: { retries: 2 },
        createPartitioner: keyPartitioner,
      });
      try {
        await p.connect();
      } catch (err) {
        this.connecting = null;
        throw err;
      }
      this.producer = p;
      return p;
    })();
    return this.connecting;
  }
}
