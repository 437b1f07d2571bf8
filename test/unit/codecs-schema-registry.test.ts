import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchemaCatalog } from '../../src/codecs/schema-catalog.js';
import { enableSchemaRegistry } from '../../src/codecs/schema-registry.js';
import { createTaskEventCodec } from '../../src/codecs/task-event-codec.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import { taskEvent } from '../support/task-event.js';

/** A minimal in-memory registry speaking the three Confluent REST calls Berth uses. */
function fakeRegistry(): Server {
  const subjects = new Map<string, { id: number; schema: string }[]>();
  let nextId = 1;
  async function body(req: IncomingMessage): Promise<string> {
    let s = '';
    for await (const chunk of req) s += chunk;
    return s;
  }
  return createServer(async (req, res) => {
    const m = /^\/subjects\/([^/]+)\/versions(?:\/(\d+))?$/.exec(req.url ?? '');
    if (!m?.[1]) return void res.writeHead(404).end('{}');
    const list = subjects.get(decodeURIComponent(m[1])) ?? [];
    subjects.set(decodeURIComponent(m[1]), list);
    if (req.method === 'POST') {
      const { schema } = JSON.parse(await body(req)) as { schema: string };
      let found = list.find((v) => v.schema === schema);
      if (!found) {
        found = { id: nextId++, schema };
        list.push(found);
      }
      return void res.end(JSON.stringify({ id: found.id }));
    }
    if (m[2]) return void res.end(JSON.stringify(list[Number(m[2]) - 1]));
    res.end(JSON.stringify(list.map((_, i) => i + 1)));
  });
}

const event: TaskEvent = taskEvent({
  id: 'r',
  code: { name: 'x', revision: 1 },
  inline: null,
  payload: Buffer.alloc(0),
  priority: 0,
  createdAtMs: 1,
});

describe('schema registry mode (against an in-process fake registry)', () => {
  const server = fakeRegistry();
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('frames with the registry id and still decodes fixed ids', async () => {
    const catalog = loadSchemaCatalog();
    const fixed = createTaskEventCodec(catalog).encode(event);
    await enableSchemaRegistry(url, catalog);
    const codec = createTaskEventCodec(catalog);
    expect(codec.schemaId).toBe(1); // first subject registered is TaskEvent
    const viaRegistry = codec.encode(event);
    expect(viaRegistry.readUInt32BE(1)).toBe(1);
    expect(codec.decode(viaRegistry).id).toBe('r');
    expect(codec.decode(fixed).id).toBe('r');
  });

  it('an unreachable registry is a retriable infrastructure error', async () => {
    await expect(enableSchemaRegistry('http://127.0.0.1:1', loadSchemaCatalog())).rejects.toMatchObject({
      name: 'InfraError',
      retriable: true,
    });
  });
});
