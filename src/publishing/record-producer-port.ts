/** One record to produce; values are already encoded. */
export interface OutgoingRecord {
  readonly key: string | Uint8Array | null;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Produces records and resolves once Kafka acknowledged them (acks=all, idempotent producer).
 * Rejects with an `InfraError` (retriable when repeating may succeed).
 */
export interface RecordProducerPort {
  send(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
}
