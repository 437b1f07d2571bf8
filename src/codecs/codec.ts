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
   * Its `kind` tells bytes that are not a value of the schema (`undecodable`) from a decoded value
   * that breaks the domain rules (`invalid`, a `RuleViolationError`).
   */
  decode(bytes: Uint8Array): T;
  /**
   * `decode`, after looking a schema id the catalog does not know up in the schema registry when
   * one is enabled (`GET /schemas/ids/{id}`, cached). Rejects with `DecodeError` like `decode`
   * (an id the registry does not have is `undecodable`), and with a retriable `InfraError` when
   * the registry cannot answer: the bytes may be fine, so the caller must retry, never drop them.
   */
  decodeAsync(bytes: Uint8Array): Promise<T>;
}

/**
 * Why `decode` refused bytes: `undecodable` — they are not a value of the schema (bad magic byte,
 * unknown or foreign schema id, truncated or corrupt Avro body); `invalid` — they decode to a value
 * that breaks the domain rules (`RuleViolationError`). Named like the DLQ reason categories.
 */
export type DecodeErrorKind = 'undecodable' | 'invalid';

/** Bytes that cannot be decoded: bad magic byte, unknown schema id, truncated or corrupt body. */
export class DecodeError extends Error {
  readonly kind: DecodeErrorKind;

  constructor(message: string, options?: { cause?: unknown; kind?: DecodeErrorKind }) {
    super(message, options);
    this.name = 'DecodeError';
    this.kind = options?.kind ?? 'undecodable';
  }
}

/**
 * Bytes that decode to a well-formed value which breaks the domain rules (e.g. a TaskEvent with
 * neither code nor inline). A `DecodeError` of kind `invalid`; `violation` is the rule's reason.
 */
export class RuleViolationError extends DecodeError {
  constructor(
    message: string,
    readonly violation: string,
  ) {
    super(message, { kind: 'invalid' });
    this.name = 'RuleViolationError';
  }
}

/** True for a decode failure of a value that was decoded but breaks the rules (kind `invalid`). */
export function isRuleViolation(err: unknown): err is RuleViolationError {
  return err instanceof DecodeError && err.kind === 'invalid';
}
