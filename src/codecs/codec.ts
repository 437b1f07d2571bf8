/**
 * A value codec for one Berth schema. Values on every topic are Avro binary in the Confluent wire
 * format: byte 0 = 0x00, bytes 1–4 = big-endian schema id, then the Avro body (docs/wire-format.md).
 */
export interface Codec<T> {
  /** Schema id this codec writes (the newest version of its schema). */
  readonly schemaId: number;
  /** Frames and encodes; throws `TypeError` for a value that does not fit the schema (a bug). */
  encode(value: T): Buffer;
  /**
   * Decodes any known version of the schema (resolving older/newer writers to the current reader).
   * Throws `DecodeError` with a human-readable reason for anything else; never returns garbage.
   */
  decode(bytes: Uint8Array): T;
}

/** Bytes that cannot be decoded: bad magic byte, unknown schema id, truncated or corrupt body. */
export class DecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecodeError';
  }
}
