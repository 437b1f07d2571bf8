import type { Resolver, Type } from 'avsc';
import { type Codec, DecodeError } from './codec.js';
import { defaultSchemaCatalog, type SchemaCatalog, type SchemaVersion } from './schema-catalog.js';
import { frame, unframe } from './wire-frame.js';

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
  const reader = catalog.current(mapping.fullName);
  const resolvers = new Map<number, Resolver | null>();

  function resolverFor(version: SchemaVersion): Resolver | null {
    if (version.type === reader.type) return null;
    let resolver = resolvers.get(version.id);
    if (resolver === undefined) {
      try {
        resolver = reader.type.createResolver(version.type);
      } catch (err) {
        throw new DecodeError(
          `schema id ${version.id} cannot be read as ${mapping.fullName}: ${errText(err)}`,
        );
      }
      resolvers.set(version.id, resolver);
    }
    return resolver;
  }

  return {
    /** The fixed id of the newest version, or the registry's id once a registry is enabled. */
    get schemaId(): number {
      return catalog.writerId(mapping.fullName);
    },
    encode(value: T): Buffer {
      const reason = mapping.violation?.(value) ?? null;
      if (reason !== null) throw new TypeError(`invalid ${shortName(mapping.fullName)}: ${reason}`);
      const body = encodeBody(reader.type, mapping.toAvro(value), mapping.fullName);
      return frame(catalog.writerId(mapping.fullName), body);
    },
    decode(bytes: Uint8Array): T {
      const { schemaId, body } = unframe(bytes);
      const version = catalog.byId(schemaId);
      let record: Record<string, unknown>;
      if (version) {
        if (version.fullName !== mapping.fullName) {
          throw new DecodeError(`schema id ${schemaId} is ${version.fullName}, expected ${mapping.fullName}`);
        }
        record = decodeBody(reader.type, body, resolverFor(version), schemaId, false);
      } else if (schemaId > reader.id && catalog.familyOf(schemaId) === mapping.fullName) {
        // A newer version than this reader knows. Versions only append fields with defaults
        // (enforced by test/unit/schema-files.test.ts), so its body starts with a current-version body.
        record = decodeBody(reader.type, body, null, schemaId, true);
      } else {
        throw new DecodeError(`unknown schema id ${schemaId} (not in schemas/ids.json)`);
      }
      const value = mapping.fromAvro(record);
      const reason = mapping.violation?.(value) ?? null;
      if (reason !== null) throw new DecodeError(`invalid ${shortName(mapping.fullName)}: ${reason}`);
      return value;
    },
  };
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
