import { InfraError } from '../domain/infra-error.js';

/** One record to produce; values are already encoded. */
export interface OutgoingRecord {
  readonly key: string | Uint8Array | null;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Produces records and resolves once Kafka acknowledged them (acks=all, idempotent producer).
 * Rejects with an `InfraError` (retriable when repeating may succeed), `RecordTooLargeError` when
 * the broker refuses the size.
 */
export interface RecordProducerPort {
  send(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
}

/** Records for one topic within a multi-topic produce request. */
export interface TopicRecords {
  readonly topic: string;
  readonly records: readonly OutgoingRecord[];
}

/** Sends records of several topics in one request (what a batcher flushes through). */
export interface BatchSenderPort {
  /** Resolves when every record is acknowledged; rejects like `RecordProducerPort.send`. */
  sendBatch(batch: readonly TopicRecords[]): Promise<void>;
}

/** The broker refused a record as larger than the topic allows; repeating it cannot succeed. */
export class RecordTooLargeError extends InfraError {
  constructor(topic: string, cause?: unknown) {
    super(`record too large for ${topic}`, { retriable: false, component: 'kafka', cause });
    this.name = 'RecordTooLargeError';
  }
}
