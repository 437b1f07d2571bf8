import { readFileSync } from 'node:fs';
import avsc, { type Schema, type Type } from 'avsc';

/** One version of one Berth schema with the wire id it is framed with. */
export interface SchemaVersion {
  /** Avro full name, e.g. `io.berth.TaskEvent`. */
  readonly fullName: string;
  /** 1, 2, …; 0 for a schema fetched by id from a registry (its subject version is not asked). */
  readonly version: number;
  readonly id: number;
  readonly type: Type;
  /** True for versions learnt from a schema registry: decodable, never the reader schema. */
  readonly registered?: boolean;
}

interface IdsFile {
  readonly schemas: Record<
    string,
    { readonly versions: readonly { version: number; id: number; file: string }[] }
  >;
}

/**
 * Where ids not in `schemas/ids.json` are looked up (a schema registry). Resolves the schema text
 * for an id, null when the source has no such id; rejects with an `InfraError` when it cannot answer.
 */
export interface SchemaSource {
  /** For messages, e.g. `the schema registry at http://registry:8081`. */
  readonly description: string;
  schemaById(id: number): Promise<{ schema: string; schemaType: string } | null>;
}

/** Registry-fetched ids kept at most (least recently fetched dropped first; fetched again when met). */
export const DEFAULT_MAX_FETCHED_IDS = 1000;
/** How long an id the registry does not have is remembered as missing before it is asked again. */
export const MISSING_ID_MEMORY_MS = 60_000;

/** Fixed ids of one schema's versions share a block of this size (see schemas/ids.json). */
export const ID_BLOCK = 1000;

/** Directory holding the `.avsc` files and `ids.json`; same relative place from `src/` and `dist/`. */
export const SCHEMAS_DIR = new URL('../../schemas/', import.meta.url);

/**
 * Every known version of every Berth schema, indexed by wire id. Contract: ids are unique across
 * all schemas; `current(fullName)` is the highest version; a catalog is immutable once built
 * except through `add` (used for registry-assigned ids and tests of future versions).
 */
export class SchemaCatalog {
  private readonly byIdMap = new Map<number, SchemaVersion>();
  private readonly currentMap = new Map<string, SchemaVersion>();
  private readonly writerIds = new Map<string, number>();
  private source: SchemaSource | null = null;
  private maxFetchedIds = DEFAULT_MAX_FETCHED_IDS;
  /** Ids learnt from the source, oldest first (Map keeps insertion order). */
  private readonly fetched = new Set<number>();
  /** Ids the source could not give a usable schema for: why, and until when that is believed. */
  private readonly unusable = new Map<number, { reason: string; untilMs: number }>();
  private readonly inflight = new Map<number, Promise<void>>();

  /** Registers a version; throws on a duplicate id bound to a different schema. */
  add(entry: SchemaVersion): void {
    const existing = this.byIdMap.get(entry.id);
    if (existing && !existing.type.equals(entry.type)) {
      throw new Error(`schema id ${entry.id} is already bound to ${existing.fullName} v${existing.version}`);
    }
    if (entry.type.name !== entry.fullName) {
      throw new Error(`schema for ${entry.fullName} declares name ${entry.type.name}`);
    }
    this.byIdMap.set(entry.id, entry);
    if (entry.registered) return;
    const current = this.currentMap.get(entry.fullName);
    if (!current || entry.version > current.version) this.currentMap.set(entry.fullName, entry);
  }

  /**
   * Makes encoders frame `fullName` with `id` (a registry-assigned id) instead of the fixed id.
   * The id must already be bound to a schema equal to the current version.
   */
  setWriterId(fullName: string, id: number): void {
    const bound = this.byIdMap.get(id);
    if (!bound?.type.equals(this.current(fullName).type)) {
      throw new Error(`schema id ${id} is not the current version of ${fullName}`);
    }
    this.writerIds.set(fullName, id);
  }

  /** The id encoders frame `fullName` with. */
  writerId(fullName: string): number {
    return this.writerIds.get(fullName) ?? this.current(fullName).id;
  }

  /**
   * Looks ids that are not in the catalog up in `source` from now on (`ensureKnown`), keeping at
   * most `maxFetchedIds` of them.
   */
  attachSource(source: SchemaSource, maxFetchedIds = DEFAULT_MAX_FETCHED_IDS): void {
    this.source = source;
    this.maxFetchedIds = maxFetchedIds;
  }

  /** The attached schema source (a registry), or null in fixed-id mode. */
  get schemaSource(): SchemaSource | null {
    return this.source;
  }

  /**
   * Makes `id` known when the attached source has it: fetches, parses and adds it (one request per
   * id at a time, however many callers wait). Resolves without change when no source is attached,
   * the id is already known, or the source has no usable schema for it (`unusableReason` then
   * says why). Rejects with the source's `InfraError` when it cannot answer: nothing is remembered.
   */
  async ensureKnown(id: number, nowMs: number = Date.now()): Promise<void> {
    if (this.source === null || this.byIdMap.has(id)) return;
    const miss = this.unusable.get(id);
    if (miss && miss.untilMs > nowMs) return;
    let pending = this.inflight.get(id);
    if (pending === undefined) {
      pending = this.fetch(this.source, id, nowMs).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    await pending;
  }

  /** Why the attached source could not give `id` (not found, not Avro), or null. */
  unusableReason(id: number): string | null {
    return this.unusable.get(id)?.reason ?? null;
  }

  private async fetch(source: SchemaSource, id: number, nowMs: number): Promise<void> {
    const answer = await source.schemaById(id);
    const remember = (reason: string) => {
      this.unusable.delete(id);
      this.unusable.set(id, { reason, untilMs: nowMs + MISSING_ID_MEMORY_MS });
      if (this.unusable.size > this.maxFetchedIds) this.unusable.delete(first(this.unusable.keys()));
    };
    if (answer === null) return remember(`${source.description} has no schema with this id`);
    if (answer.schemaType.toUpperCase() !== 'AVRO')
      return remember(`${source.description} says it is a ${answer.schemaType} schema, not Avro`);
    let type: Type;
    try {
      type = parseSchema(answer.schema);
    } catch (err) {
      return remember(`${source.description} gave a schema avsc cannot parse: ${(err as Error).message}`);
    }
    if (this.byIdMap.has(id)) return;
    this.byIdMap.set(id, { fullName: type.name ?? '(unnamed)', version: 0, id, type, registered: true });
    this.fetched.add(id);
    this.unusable.delete(id);
    if (this.fetched.size > this.maxFetchedIds) {
      const oldest = first(this.fetched.values());
      this.fetched.delete(oldest);
      this.byIdMap.delete(oldest);
    }
  }

  byId(id: number): SchemaVersion | undefined {
    return this.byIdMap.get(id);
  }

  /** The version a codec writes; throws for a schema the catalog does not know (a bug). */
  current(fullName: string): SchemaVersion {
    const v = this.currentMap.get(fullName);
    if (!v) throw new Error(`no schema named ${fullName} in the catalog`);
    return v;
  }

  /**
   * The schema a not-yet-known id belongs to by the fixed-id convention: ids of one schema share
   * a block of 1000 (TaskEvent 1001, 1002, …). Returns undefined when no known schema owns the block.
   */
  familyOf(id: number): string | undefined {
    const block = Math.floor(id / ID_BLOCK);
    for (const v of this.currentMap.values()) if (Math.floor(v.id / ID_BLOCK) === block) return v.fullName;
    return undefined;
  }

  versions(fullName: string): SchemaVersion[] {
    return [...this.byIdMap.values()]
      .filter((v) => v.fullName === fullName)
      .sort((a, b) => a.version - b.version);
  }
}

function first<T>(it: IterableIterator<T>): T {
  return it.next().value as T;
}

/** Parses an Avro schema given as JSON text or object. */
export function parseSchema(schema: string | object): Type {
  const json = typeof schema === 'string' ? (JSON.parse(schema) as Schema) : (schema as Schema);
  return avsc.Type.forSchema(json);
}

/** Loads `schemas/ids.json` and every versioned `.avsc` it lists. */
export function loadSchemaCatalog(dir: URL = SCHEMAS_DIR): SchemaCatalog {
  const ids = JSON.parse(readFileSync(new URL('ids.json', dir), 'utf8')) as IdsFile;
  const catalog = new SchemaCatalog();
  for (const [fullName, entry] of Object.entries(ids.schemas)) {
    for (const v of entry.versions) {
      const type = parseSchema(readFileSync(new URL(v.file, dir), 'utf8'));
      catalog.add({ fullName, version: v.version, id: v.id, type });
    }
  }
  return catalog;
}

let shared: SchemaCatalog | undefined;

/** The process-wide catalog of the schemas shipped with Berth, loaded once. */
export function defaultSchemaCatalog(): SchemaCatalog {
  shared ??= loadSchemaCatalog();
  return shared;
}
