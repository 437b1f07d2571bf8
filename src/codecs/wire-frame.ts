import { DecodeError } from './codec.js';

/** Byte 0 of every Berth value (Confluent wire format). */
export const MAGIC_BYTE = 0x00;
/** Magic byte plus 4-byte big-endian schema id. */
export const FRAME_HEADER_BYTES = 5;

export interface UnframedValue {
  readonly schemaId: number;
  /** The Avro binary body; a view into the input, not a copy. */
  readonly body: Buffer;
}

/** Prefixes an Avro body with the Confluent header: 0x00, then `schemaId` as a big-endian uint32. */
export function frame(schemaId: number, body: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) {
    throw new TypeError(`schema id ${schemaId} does not fit 4 unsigned bytes`);
  }
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.byteLength);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

/** Splits a framed value into schema id and body; throws `DecodeError` for a bad header. */
export function unframe(bytes: Uint8Array | null | undefined): UnframedValue {
  if (bytes === null || bytes === undefined) throw new DecodeError('empty value (null): not a Berth record');
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < FRAME_HEADER_BYTES) {
    throw new DecodeError(`value is ${buf.length} bytes, shorter than the 5-byte wire-format header`);
  }
  if (buf[0] !== MAGIC_BYTE) {
    throw new DecodeError(`bad magic byte 0x${(buf[0] ?? 0).toString(16).padStart(2, '0')} (expected 0x00)`);
  }
  return { schemaId: buf.readUInt32BE(1), body: buf.subarray(FRAME_HEADER_BYTES) };
}
