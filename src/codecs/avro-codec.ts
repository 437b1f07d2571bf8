import type { Resolver, Type } from 'avsc';
import { type Codec, DecodeError, RuleViolationError } from './codec.js';
import { defaultSchemaCatalog, type SchemaCatalog, type SchemaVersion } from './schema-catalog.js';
import { frame, unframe } from './wire-frame.js';

const MAX_RESOLVERS = 1000;

/** How one domain type maps to and from the plain objects avsc reads and writes. */
export interface AvroMapping<T> {
  /** Avro full name of the record, e.g. `io.berth.TaskEvent`. */
  readonly fullName: string;
  /** Domain value → avsc value (Buffer for bytes). */
  toAvro(value: T): unknown;
  /** avsc value (as read by the current reader schema) → domain value. */
  fromAvro(record: Record<string, unknown>): T;
  /** Domain rules beyond the schema; returns a reason when violated, null when fine. */
  violation?(value: T): string | null;
}

/**
 * Builds a `Codec<T>` over a schema catalog: encodes with the newest version of `fullName`,
 * decodes any version the catalog knows by resolving the writer schema to the newest reader.
 */
export function createAvroCodec<T>(
  mapping: AvroMapping<T>,
  catalog: SchemaCatalog = defaultSchemaCatalog(),
): Codec<T> {
  return new AvroCodec(mapping, catalog);
}

class AvroCodec<T> implements Codec<T> {
  private readonly reader: SchemaVersion;
  private readonly resolvers = new Map<number, Resolver>();

  constructor(
    private readonly mapping: AvroMapping<T>,
    private readonly catalog: SchemaCatalog,
  ) {
    this.reader = catalog.current(mapping.fullName);
  }

  /** The fixed id of the newest version, or the registry's id once a registry is enabled. */
  get schemaId(): number {
    return this.catalog.writerId(this.mapping.fullName);
  }

  encode(value: T): Buffer {
    const reason = this.mapping.violation?.(value) ?? null;
    if (reason !== null) throw new TypeError(`invalid ${shortName(this.mapping.fullName)}: ${reason}`);
    return encodeFramed(this.reader.type, this.schemaId, this.mapping.toAvro(value), this.mapping.fullName);
  }

  async decodeAsync(bytes: Uint8Array): Promise<T> {
    await this.catalog.ensureKnown(unframe(bytes).schemaId);
    return this.decode(bytes);
  }

  decode(bytes: Uint8Array): T {
    const value = this.mapping.fromAvro(this.readRecord(bytes));
    const reason = this.mapping.violation?.(value) ?? null;
    if (reason !== null) {
      throw new RuleViolationError(`invalid ${shortName(this.mapping.fullName)}: ${reason}`, reason);
    }
    return value;
  }

  private readRecord(bytes: Uint8Array): Record<string, unknown> {
    const { schemaId, body } = unframe(bytes);
    const fullName = this.mapping.fullName;
    const version = this.catalog.byId(schemaId);
    if (version) {
      if (version.fullName !== fullName) {
        throw new DecodeError(`schema id ${schemaId} is ${version.fullName}, expected ${fullName}`);
      }
      return decodeBody(this.reader.type, body, this.resolverFor(version), schemaId, false);
    }
    if (schemaId > this.reader.id && this.catalog.familyOf(schemaId) === fullName) {
      // A newer version than this reader knows. Versions only append fields with defaults
      // (enforced by test/unit/schema-files.test.ts), so its body starts with a current-version body.
      return decodeBody(this.reader.type, body, null, schemaId, true);
    }
    const why = this.catalog.unusableReason(schemaId);
    const where =
      why ??
      (this.catalog.schemaSource === null
        ? 'not in schemas/ids.json'
        : 'not looked up in the schema registry');
    throw new DecodeError(`unknown schema id ${schemaId} (${where})`);
  }

  private resolverFor(version: SchemaVersion): Resolver | null {
    if (version.type === this.reader.type) return null;
    let resolver = this.resolvers.get(version.id);
    if (resolver === undefined) {
      try {
        resolver = this.reader.type.createResolver(version.type);
      } catch (err) {
        throw new DecodeError(
          `schema id ${version.id} cannot be read as ${version.fullName}: ${errText(err)}`,
        );
      }
      // Registry ids come and go from the catalog's bounded cache: bound the resolvers alike.
      if (this.resolvers.size >= MAX_RESOLVERS) this.resolvers.clear();
      this.resolvers.set(version.id, resolver);
    }
    return resolver;
  }
}

/** Where values are encoded before they are copied out (grown when a value does not fit). */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * The framed value (header, then the Avro body): the body is encoded into the scratch buffer
 * and `frame` copies it out once (small values come from Node's buffer pool), instead of avsc
 * allocating a zeroed buffer per value first.
 */
function encodeFramed(type: Type, schemaId: number, avroValue: unknown, fullName: string): Buffer {
  let end: number;
  try {
    end = type.encode(avroValue, scratch, 0);
    if (end < 0) {
      // `encode` answers how many bytes were missing.
      scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
      end = type.encode(avroValue, scratch, 0);
    }
  } catch {
    end = -1;
  }
  // A value that does not fit the schema: the slow path says where.
  if (end < 0) return frame(schemaId, encodeBody(type, avroValue, fullName));
  return frame(schemaId, scratch.subarray(0, end));
}

function encodeBody(type: Type, avroValue: unknown, fullName: string): Buffer {
  try {
    return type.toBuffer(avroValue);
  } catch (err) {
    const paths: string[] = [];
    type.isValid(avroValue, {
      errorHook: (path: string[], val: unknown) => {
        paths.push(`${path.join('.') || '(root)'}=${JSON.stringify(val)?.slice(0, 60)}`);
      },
    });
    const where = paths.length > 0 ? paths.join(', ') : errText(err);
    throw new TypeError(`value does not fit ${fullName}: ${where}`);
  }
}

/** Decodes one body; `allowTrailing` only for newer writer versions whose appended fields we skip. */
function decodeBody(
  type: Type,
  body: Buffer,
  resolver: Resolver | null,
  schemaId: number,
  allowTrailing: boolean,
): Record<string, unknown> {
  let result: { value: unknown; offset: number };
  try {
    result = resolver ? type.decode(body, 0, resolver) : type.decode(body, 0);
  } catch (err) {
    throw new DecodeError(`corrupt Avro body for schema id ${schemaId}: ${errText(err)}`, { cause: err });
  }
  if (result.offset < 0)
    throw new DecodeError(`truncated Avro body for schema id ${schemaId} (${body.length} bytes)`);
  if (result.offset !== body.length && !allowTrailing) {
    throw new DecodeError(
      `${body.length - result.offset} trailing bytes after the Avro body (schema id ${schemaId})`,
    );
  }
  return result.value as Record<string, unknown>;
}

function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Zero-copy view of bytes as a Buffer (avsc requires Buffer for `bytes`). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
