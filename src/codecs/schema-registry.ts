import { InfraError } from '../domain/infra-error.js';
import { withRetry } from '../resilience/retry.js';
import { defaultSchemaCatalog, parseSchema, type SchemaCatalog } from './schema-catalog.js';

/** Record full names Berth writes; each is a registry subject (RecordNameStrategy). */
export const BERTH_SUBJECTS = [
  'io.berth.TaskEvent',
  'io.berth.TaskResult',
  'io.berth.WorkerStats',
  'io.berth.Control',
  'io.berth.CodePackage',
] as const;

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/**
 * Switches `catalog` to a Confluent-compatible schema registry: registers the current version of
 * every Berth schema (subject = record full name), makes encoders frame with the registry's ids,
 * and loads every registered version so decoders read them. Fixed ids keep decoding.
 * Contract: call once at startup, before producing; ids registered later by other producers are
 * unknown until the next call. Fails with a retriable `InfraError` when the registry is unreachable.
 */
export async function enableSchemaRegistry(
  url: string,
  catalog: SchemaCatalog = defaultSchemaCatalog(),
): Promise<void> {
  const base = url.replace(/\/+$/, '');
  for (const subject of BERTH_SUBJECTS) {
    const current = catalog.current(subject);
    const path = `/subjects/${encodeURIComponent(subject)}/versions`;
    const { id } = (await call(base, path, { schema: JSON.stringify(current.type.schema()) })) as {
      id: number;
    };
    const versions = (await call(base, path)) as number[];
    for (const v of versions) {
      const entry = (await call(base, `${path}/${v}`)) as { id: number; schema: string };
      if (catalog.byId(entry.id)?.fullName === subject) continue;
      catalog.add({
        fullName: subject,
        version: v,
        id: entry.id,
        type: parseSchema(entry.schema),
        registered: true,
      });
    }
    catalog.setWriterId(subject, id);
  }
}

/** `enableSchemaRegistry` when BERTH_SCHEMA_REGISTRY_URL is set; otherwise fixed ids stay in use. */
export async function enableSchemaRegistryFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const url = env.BERTH_SCHEMA_REGISTRY_URL;
  if (!url) return false;
  await enableSchemaRegistry(url);
  return true;
}

async function call(base: string, path: string, body?: object): Promise<unknown> {
  return withRetry(
    async () => {
      let res: Response;
      try {
        res = await fetch(base + path, {
          method: body ? 'POST' : 'GET',
          headers: { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE },
          body: body ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(5000),
        });
      } catch (err) {
        throw new InfraError(`schema registry ${base} unreachable`, {
          retriable: true,
          component: 'other',
          cause: err,
        });
      }
      if (!res.ok) {
        const text = (await res.text()).slice(0, 200);
        throw new InfraError(`schema registry ${path}: HTTP ${res.status} ${text}`, {
          retriable: res.status >= 500,
          component: 'other',
        });
      }
      return res.json();
    },
    { attempts: 3, baseDelayMs: 200, maxDelayMs: 1000 },
  );
}
