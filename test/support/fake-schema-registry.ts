import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An in-process schema registry following the documented Confluent Schema Registry REST API
 * (https://docs.confluent.io/platform/current/schema-registry/develop/api.html), for tests: no real
 * registry can be run here (Apicurio's app needs artifacts only Confluent's Maven repository serves).
 * Served calls, with Confluent's answers and error codes:
 * - `POST /subjects/{subject}/versions` `{schema, schemaType?}` → `{id}`; the same schema text gets
 *   the same global id in every subject (ids start at 1); 422 / 42201 for a body without a schema.
 * - `GET /schemas/ids/{id}` → `{schema}` (plus `schemaType` when not AVRO); 404 / 40403.
 * - `GET /subjects` and `GET /subjects/{subject}/versions` (for inspection in tests).
 * - Basic auth when `credentials` are given: 401 / 40101 otherwise.
 * `available = false` answers every call with 503 / 50003 (a registry that is down behind a proxy).
 * `requests` records `METHOD path` of every call.
 */
export class FakeSchemaRegistry {
  available = true;
  readonly requests: string[] = [];
  private readonly server: Server;
  private readonly bySchema = new Map<string, number>();
  private readonly byId = new Map<number, { schema: string; schemaType: string }>();
  private readonly subjects = new Map<string, number[]>();
  private nextId = 1;
  private port = 0;

  constructor(private readonly opts: { credentials?: { username: string; password: string } } = {}) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) =>
        answer(res, 500, { error_code: 500, message: String(err) }),
      );
    });
  }

  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Registers as a producer outside Berth would; returns the id. */
  register(subject: string, schema: string, schemaType = 'AVRO'): number {
    let id = this.bySchema.get(`${schemaType}:${schema}`);
    if (id === undefined) {
      id = this.nextId++;
      this.bySchema.set(`${schemaType}:${schema}`, id);
      this.byId.set(id, { schema, schemaType });
    }
    const versions = this.subjects.get(subject) ?? [];
    if (!versions.includes(id)) versions.push(id);
    this.subjects.set(subject, versions);
    return id;
  }

  subjectNames(): string[] {
    return [...this.subjects.keys()].sort();
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.push(`${req.method} ${path}`);
    if (!this.available)
      return answer(res, 503, { error_code: 50003, message: 'Error while forwarding the request' });
    if (!this.authorized(req)) return answer(res, 401, { error_code: 40101, message: 'Unauthorized' });
    let m = /^\/schemas\/ids\/(\d+)$/.exec(path);
    if (m && req.method === 'GET') {
      const found = this.byId.get(Number(m[1]));
      if (!found) return answer(res, 404, { error_code: 40403, message: 'Schema not found' });
      return answer(res, 200, found.schemaType === 'AVRO' ? { schema: found.schema } : found);
    }
    if (path === '/subjects' && req.method === 'GET') return answer(res, 200, this.subjectNames());
    m = /^\/subjects\/([^/]+)\/versions$/.exec(path);
    if (m?.[1]) {
      const subject = decodeURIComponent(m[1]);
      if (req.method === 'GET') {
        const versions = this.subjects.get(subject);
        if (!versions) return answer(res, 404, { error_code: 40401, message: 'Subject not found' });
        return answer(
          res,
          200,
          versions.map((_, i) => i + 1),
        );
      }
      if (req.method === 'POST') {
        const body = JSON.parse(await readAll(req)) as { schema?: unknown; schemaType?: unknown };
        if (typeof body.schema !== 'string')
          return answer(res, 422, { error_code: 42201, message: 'Invalid schema' });
        const type = typeof body.schemaType === 'string' ? body.schemaType : 'AVRO';
        return answer(res, 200, { id: this.register(subject, body.schema, type) });
      }
    }
    answer(res, 404, { error_code: 404, message: 'HTTP 404 Not Found' });
  }

  private authorized(req: IncomingMessage): boolean {
    const creds = this.opts.credentials;
    if (!creds) return true;
    const expected = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    return req.headers.authorization === expected;
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
  res.end(JSON.stringify(body));
}

async function readAll(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const chunk of req) s += chunk;
  return s;
}
