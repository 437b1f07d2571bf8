import type avsc from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/codecs/codec.js';
import { loadSchemaCatalog, parseSchema } from '../../src/codecs/schema-catalog.js';
import { enableSchemaRegistry } from '../../src/codecs/schema-registry.js';
import { createTaskEventCodec } from '../../src/codecs/task-event-codec.js';
import { frame } from '../../src/codecs/wire-frame.js';
import {
  parseSchemaRegistrySettings,
  type SchemaRegistryInput,
} from '../../src/config/schema-registry-settings.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import { FakeSchemaRegistry } from '../support/fake-schema-registry.js';
import { taskEvent } from '../support/task-event.js';

const event: TaskEvent = taskEvent({ id: 'r', code: { name: 'x', revision: 1 }, inline: null });

function settings(input: SchemaRegistryInput) {
  const s = parseSchemaRegistrySettings({ requestTimeoutMs: 2000, ...input });
  if (s === null) throw new Error('no url');
  return s;
}

/** TaskEvent v1 plus an optional `deadlineMs`, as a producer outside Berth might register it. */
function taskEventV2(): avsc.Type {
  const v1 = loadSchemaCatalog().current('io.berth.TaskEvent').type.schema() as { fields: object[] };
  return parseSchema({
    ...v1,
    fields: [...v1.fields, { name: 'deadlineMs', type: ['null', 'long'], default: null }],
  });
}

describe('schema registry mode (against a fake following the Confluent REST API)', () => {
  const registry = new FakeSchemaRegistry({ credentials: { username: 'berth', password: 's3cret' } });
  let url = '';
  beforeAll(async () => {
    url = await registry.start();
  });
  afterAll(() => registry.close());
  const auth = () => settings({ url, username: 'berth', password: 's3cret' });

  it('registers under <topic>-value subjects, frames with the registry id, still reads fixed ids', async () => {
    const catalog = loadSchemaCatalog();
    const fixed = createTaskEventCodec(catalog).encode(event);
    await enableSchemaRegistry(auth(), { topicPrefix: 'p1', catalog });
    expect(registry.subjectNames()).toEqual([
      'p1.code-value',
      'p1.control-value',
      'p1.metrics-value',
      'p1.progress-value',
      'p1.results-value',
      'p1.retry-value',
      'p1.schedule-ticks-value',
      'p1.schedules-value',
      'p1.tasks-value',
    ]);
    const codec = createTaskEventCodec(catalog);
    expect(codec.schemaId).toBeLessThan(1000); // the registry's id, not 1001
    const viaRegistry = codec.encode(event);
    expect(viaRegistry.readUInt32BE(1)).toBe(codec.schemaId);
    expect((await codec.decodeAsync(viaRegistry)).id).toBe('r');
    expect((await codec.decodeAsync(fixed)).id).toBe('r');
  });

  it('looks an id registered later up once, caches it and resolves writer to reader', async () => {
    const catalog = loadSchemaCatalog();
    await enableSchemaRegistry(auth(), { topicPrefix: 'p2', catalog });
    const v2 = taskEventV2();
    const id = registry.register('p2.tasks-value', JSON.stringify(v2.schema()));
    const codec = createTaskEventCodec(catalog);
    const body = v2.toBuffer({ ...createTaskEventCodecValue(), deadlineMs: 5 });
    const bytes = frame(id, body);
    expect(() => codec.decode(bytes)).toThrow(/unknown schema id/);
    const before = registry.requests.filter((r) => r === `GET /schemas/ids/${id}`).length;
    const decoded = await codec.decodeAsync(bytes);
    await codec.decodeAsync(bytes);
    expect(decoded).toMatchObject({ id: 'ext-1', priority: 2 });
    expect('deadlineMs' in decoded).toBe(false); // the reader schema has no such field
    expect(registry.requests.filter((r) => r === `GET /schemas/ids/${id}`).length).toBe(before + 1);
  });

  it('an id the registry does not have is undecodable, naming the id', async () => {
    const catalog = loadSchemaCatalog();
    await enableSchemaRegistry(auth(), { topicPrefix: 'p3', catalog });
    const codec = createTaskEventCodec(catalog);
    const bytes = frame(987654, Buffer.from([0]));
    const err = await codec.decodeAsync(bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as Error).message).toMatch(
      /unknown schema id 987654 \(the schema registry at .* has no schema/,
    );
    const asked = registry.requests.filter((r) => r === 'GET /schemas/ids/987654').length;
    await codec.decodeAsync(bytes).catch(() => undefined);
    expect(registry.requests.filter((r) => r === 'GET /schemas/ids/987654').length).toBe(asked); // remembered
  });

  it('a registry that is down is a retriable InfraError, and nothing is remembered', async () => {
    const catalog = loadSchemaCatalog();
    await enableSchemaRegistry(auth(), { topicPrefix: 'p4', catalog });
    const v2 = taskEventV2();
    const id = registry.register('p4.tasks-value', JSON.stringify(v2.schema()));
    const bytes = frame(id, v2.toBuffer({ ...createTaskEventCodecValue(), deadlineMs: null }));
    const codec = createTaskEventCodec(catalog);
    registry.available = false;
    try {
      await expect(codec.decodeAsync(bytes)).rejects.toMatchObject({ name: 'InfraError', retriable: true });
    } finally {
      registry.available = true;
    }
    expect((await codec.decodeAsync(bytes)).id).toBe('ext-1');
  });

  it('refused credentials fail clearly and are not retriable; user-info in the URL works', async () => {
    const wrong = settings({ url, username: 'berth', password: 'nope' });
    const err = await enableSchemaRegistry(wrong, { catalog: loadSchemaCatalog() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'InfraError', retriable: false });
    expect((err as Error).message).toMatch(/HTTP 401 \(credentials refused/);
    expect((err as Error).message).not.toMatch(/nope/);
    const inUrl = settings({ url: url.replace('http://', 'http://berth:s3cret@') });
    expect(inUrl.url).toBe(url);
    await expect(enableSchemaRegistry(inUrl, { catalog: loadSchemaCatalog() })).resolves.toBeDefined();
  });

  it('keeps a bounded number of fetched ids', async () => {
    const catalog = loadSchemaCatalog();
    await enableSchemaRegistry(auth(), { topicPrefix: 'p5', catalog });
    catalog.attachSource(catalog.schemaSource as NonNullable<typeof catalog.schemaSource>, 2);
    const base = catalog.current('io.berth.Control').type.schema() as { name: string };
    const ids = [1, 2, 3].map((n) =>
      registry.register(`bound-${n}`, JSON.stringify({ ...base, name: `io.berth.Bound${n}` })),
    );
    for (const id of ids) await catalog.ensureKnown(id);
    expect(ids.map((id) => catalog.byId(id) !== undefined)).toEqual([false, true, true]);
  });

  it('an unreachable registry is a retriable infrastructure error', async () => {
    await expect(
      enableSchemaRegistry(settings({ url: 'http://127.0.0.1:1' }), { catalog: loadSchemaCatalog() }),
    ).rejects.toMatchObject({ name: 'InfraError', retriable: true });
  });

  it('settings: no URL is fixed-id mode; half a credential pair or a bad URL is refused', () => {
    expect(parseSchemaRegistrySettings({})).toBeNull();
    expect(() => parseSchemaRegistrySettings({ url: 'http://r:8081', username: 'u' })).toThrow(/both/);
    expect(() => parseSchemaRegistrySettings({ url: 'ftp://r' })).toThrow(/http/);
    expect(parseSchemaRegistrySettings({ url: 'http://r:8081/apis/ccompat/v7/' })?.url).toBe(
      'http://r:8081/apis/ccompat/v7',
    );
  });
});

/** An avsc value of TaskEvent v1 as an outside producer writes it. */
function createTaskEventCodecValue(): Record<string, unknown> {
  return {
    id: 'ext-1',
    code: null,
    inline: { stack: 'shell', command: ['true'], env: {} },
    payload: Buffer.alloc(0),
    priority: 2,
    timeoutMs: null,
    maxAttempts: null,
    attempt: 1,
    memoryBytes: null,
    network: null,
    labels: {},
    createdAtMs: 1,
    runAtMs: null,
  };
}
