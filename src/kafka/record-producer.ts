import type { Kafka, Producer } from 'kafkajs';
import { InfraError } from '../domain/infra-error.js';
import {
  type OutgoingRecord,
  type RecordProducerPort,
  RecordTooLargeError,
  type TopicRecords,
} from '../publishing/record-producer-port.js';
import { keyPartitioner } from './key-partitioner.js';

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

function isTooLarge(err: unknown): boolean {
  const e = err as { type?: string; cause?: { type?: string } } | null;
  return TOO_LARGE.has(e?.type ?? '') || TOO_LARGE.has(e?.cause?.type ?? '');
}

function messageOf(r: OutgoingRecord) {
  return {
    key: r.key === null ? null : typeof r.key === 'string' ? r.key : Buffer.from(r.key),
    value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
    // KafkaJS only reads the headers: the record's own object is handed over (no copy per record).
    headers: r.headers as Record<string, string>,
  };
}

/**
 * The worker's producer: idempotent, acks=all, resolving only when the broker acknowledged.
 * Failures become retriable `InfraError`s; the caller retries.
 *
 * Contract on failures: requests are strictly serialised — one `sendBatch` at a time, whoever
 * calls — so KafkaJS's own retries of a request re-send the *same* records with the sequence
 * numbers it rolled back (the broker de-duplicates them correctly). When KafkaJS gives up, the
 * KafkaJS producer is thrown away and a new one (a new producer id) serves the next request.
 * Concurrent requests on one KafkaJS producer are what loses records: a request whose reply was
 * lost rolls its sequence back, another request takes that sequence, and the broker acknowledges
 * it as a duplicate without writing it. A retry under a new producer id may write a record twice
 * (a duplicate, never a loss).
 */
export class RecordProducer implements RecordProducerPort {
  private producer: Producer;
  private connected = false;
  private broken = false;
  /** The tail of the request chain: each request starts when the previous one settled. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly kafka: Kafka) {
    this.producer = this.create();
  }

  private create(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: 3 },
      createPartitioner: keyPartitioner,
    });
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

  send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    return this.sendBatch([{ topic, records }]);
  }

  /** One produce request for records of several topics; resolves when all are acknowledged. */
  sendBatch(batch: readonly TopicRecords[]): Promise<void> {
    const request = this.tail.then(() => this.request(batch));
    this.tail = request.catch(() => undefined);
    return request;
  }

  private async request(batch: readonly TopicRecords[]): Promise<void> {
    const topics = batch.map((b) => b.topic).join(', ');
    try {
      if (this.broken) await this.replace();
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: batch.map((b) => ({ topic: b.topic, messages: b.records.map(messageOf) })),
      });
    } catch (err) {
      if (isTooLarge(err)) throw new RecordTooLargeError(topics, err);
      this.broken = true;
      throw new InfraError(`produce to ${topics} failed: ${(err as Error).message}`, {
        retriable: true,
        component: 'kafka',
        cause: err,
      });
    }
  }

  /** Drops the KafkaJS producer whose request failed and connects a new one (new producer id). */
  private async replace(): Promise<void> {
    const old = this.producer;
    this.producer = this.create();
    void old.disconnect().catch(() => undefined);
    await this.producer.connect();
    this.broken = false;
  }

  /** Idempotent. */
  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect().catch(() => undefined);
  }
}
