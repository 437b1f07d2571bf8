/** A record as fetched from Kafka, before decoding. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset, decimal. */
  readonly offset: string;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * What intake does with an offered record:
 * - `accepted`: taken (or recognised as a re-delivery already in hand);
 * - `full`: no room; the record stays buffered and is offered again when room frees;
 * - `defer`: not due before `untilMs` (berth.retry); it stays buffered until then.
 */
export type OfferDecision =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'full' }
  | { readonly kind: 'defer'; readonly untilMs: number };

/** Where a consumer adapter hands records and assignment changes. */
export interface RecordSink {
  offer(record: ConsumedRecord): OfferDecision;
  /**
   * A record passed over, not offered: its key waits behind a record that is not due, while due
   * records after it are taken. It must hold its partition's commit back until it ran.
   */
  hold?(record: ConsumedRecord): void;
  /** The partitions of `topic` this member owns after a (re)join. */
  assigned(topic: string, partitions: readonly number[]): void;
}
