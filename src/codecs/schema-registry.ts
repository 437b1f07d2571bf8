import {
  type SchemaRegistrySettings,
  schemaRegistrySettingsFromEnv,
} from '../config/schema-registry-settings.js';
import { type TopicNames, topicNames } from '../kafka/topic-names.js';
import { defaultSchemaCatalog, type SchemaCatalog, type SchemaSource } from './schema-catalog.js';
import { SchemaRegistryClient } from './schema-registry-client.js';

/** Which topics carry each Berth schema; the first one's subject gives the id Berth frames with. */
export const SCHEMA_TOPICS: Readonly<Record<string, readonly (keyof TopicNames)[]>> = Object.freeze({
  'io.berth.TaskEvent': ['tasks', 'retry'],
  'io.berth.TaskResult': ['results'],
  'io.berth.WorkerStats': ['metrics'],
  'io.berth.Control': ['control'],
  'io.berth.CodePackage': ['code'],
  'io.berth.TaskProgress': ['progress'],
  'io.berth.Schedule': ['schedules'],
  'io.berth.ScheduleTick': ['scheduleTicks'],
});

/**
 * The subject a topic's values are registered under: Confluent's default TopicNameStrategy,
 * `<topic>-value` (e.g. `berth.tasks-value`), so Confluent serializers with default settings
 * find the same subjects.
 */
export function registrySubject(topic: string): string {
  return `${topic}-value`;
}

export interface EnableRegistryOptions {
  /** Topic prefix of the installation (subjects are named after its topics); default `berth`. */
  readonly topicPrefix?: string;
  readonly catalog?: SchemaCatalog;
}

/**
 * Switches `catalog` (default: the process-wide one every Berth codec uses) to registry mode:
 * registers the current version of each Berth schema under the subject of every topic that carries
 * it, makes encoders frame with the registry's id, and attaches the registry so decoders look up
 * ids they do not know (`GET /schemas/ids/{id}`, bounded cache). Fixed ids from schemas/ids.json
 * keep decoding. Contract: call before producing; idempotent for the same registry. Rejects with a
 * retriable `InfraError` when the registry cannot be reached, a non-retriable one when it refuses
 * (credentials, incompatible schema).
 */
export async function enableSchemaRegistry(
  settings: SchemaRegistrySettings,
  opts: EnableRegistryOptions = {},
): Promise<SchemaRegistryClient> {
  const catalog = opts.catalog ?? defaultSchemaCatalog();
  const topics = topicNames(opts.topicPrefix ?? 'berth');
  const client = new SchemaRegistryClient(settings);
  for (const [fullName, carriers] of Object.entries(SCHEMA_TOPICS)) {
    const current = catalog.current(fullName);
    const text = JSON.stringify(current.type.schema());
    let writerId: number | null = null;
    for (const key of carriers) {
      const id = await client.register(registrySubject(topics[key]), text);
      writerId ??= id;
      if (catalog.byId(id) === undefined)
        catalog.add({ fullName, version: current.version, id, type: current.type, registered: true });
    }
    if (writerId !== null) catalog.setWriterId(fullName, writerId);
  }
  catalog.attachSource(registrySource(client));
  return client;
}

/**
 * `enableSchemaRegistry` with the `BERTH_SCHEMA_REGISTRY_*` variables; resolves false (fixed ids
 * stay in use) when BERTH_SCHEMA_REGISTRY_URL is unset.
 */
export async function enableSchemaRegistryFromEnv(
  opts: EnableRegistryOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  const settings = schemaRegistrySettingsFromEnv(env);
  if (settings === null) return false;
  await enableSchemaRegistry(settings, opts);
  return true;
}

function registrySource(client: SchemaRegistryClient): SchemaSource {
  return {
    description: `the schema registry at ${client.settings.url}`,
    schemaById: (id) => client.schemaById(id),
  };
}
