import type { Kafka, Producer } from 'kafkajs';
import { InfraError } from '../domain/infra-error.js';
import {
  type OutgoingRecord,
  type RecordProducerPort,
  RecordTooLargeError,
} from '../publishing/record-producer-port.js';

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

function isTooLarge(err: unknown): boolean {
  const e = err as { type?: string; cause?: { type?: string } } | null;
  return TOO_LARGE.has(e?.type ?? '') || TOO_LARGE.has(e?.cause?.type ?? '');
}

/**
 * The worker's producer: idempotent, acks=all, one request in flight per broker (so retries never
 * reorder), resolving only when the broker acknowledged. Failures become retriable `InfraError`s;
 * the caller (OutcomePublisher) retries with backoff.
 */
export class RecordProducer implements RecordProducerPort {
  private readonly producer: Producer;
  private connected = false;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 5 } });
  }

  async connect(): Promise<void> {
    try {
      await this.producer.connect();
      this.connected = true;
    } catch (err) {
      throw new InfraError(`producer cannot connect: ${(err as Error).message}`, {
        retriable: true,
        component: 'kafka',
        cause: err,
      });
    }
  }

  async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    try {
      await this.producer.send({
        topic,
        acks: -1,
        messages: records.map((r) => ({
          key: r.key === null ? null : typeof r.key === 'string' ? r.key : Buffer.from(r.key),
          value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
          headers: { ...r.headers },
        })),
      });
    } catch (err) {
      if (isTooLarge(err)) throw new RecordTooLargeError(topic, err);
      throw new InfraError(`produce to ${topic} failed: ${(err as Error).message}`, {
        retriable: true,
        component: 'kafka',
        cause: err,
      });
    }
  }

  /** Idempotent. */
  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect().catch(() => undefined);
  }
}
