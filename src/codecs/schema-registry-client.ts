import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { SchemaRegistrySettings } from '../config/schema-registry-settings.js';
import { InfraError } from '../domain/infra-error.js';
import { withRetry } from '../resilience/retry.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** Largest registry answer read; a schema is a few KiB. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * The two calls of the Confluent Schema Registry REST API Berth makes (also served by Apicurio's
 * `/apis/ccompat/v7`, Karapace, Redpanda): `POST /subjects/{subject}/versions` and
 * `GET /schemas/ids/{id}`. Contract: an unreachable registry, a timeout, HTTP 5xx or 429 reject
 * with a retriable `InfraError` after a few quick tries; refused credentials (401/403) and other
 * refusals with a non-retriable one naming the status; an id the registry does not have resolves
 * to null. Credentials never appear in messages.
 */
export class SchemaRegistryClient {
  private readonly authorization: string | null;
  private readonly ca: string[] | undefined;

  constructor(readonly settings: SchemaRegistrySettings) {
    const { username, password } = settings;
    this.authorization =
      username === null ? null : `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
    this.ca = settings.caPem === null ? undefined : [...rootCertificates, settings.caPem];
  }

  /** Registers (or finds) `schema` under `subject`; resolves with the registry's global id. */
  async register(subject: string, schema: string): Promise<number> {
    const path = `/subjects/${encodeURIComponent(subject)}/versions`;
    const res = await this.call('POST', path, JSON.stringify({ schema }));
    if (res.status === 409 || res.status === 422)
      throw this.refused(`refused the schema for subject ${subject}`, res);
    if (res.status !== 200) throw this.refused(`POST ${path}`, res);
    const id = (parseJson(res.body) as { id?: unknown }).id;
    if (typeof id !== 'number') throw this.refused(`POST ${path} answered without an id`, res);
    return id;
  }

  /** The schema text registered with `id` (`GET /schemas/ids/{id}`); null when it has none (404). */
  async schemaById(id: number): Promise<{ schema: string; schemaType: string } | null> {
    const path = `/schemas/ids/${id}`;
    const res = await this.call('GET', path);
    if (res.status === 404) return null;
    if (res.status !== 200) throw this.refused(`GET ${path}`, res);
    const body = parseJson(res.body) as { schema?: unknown; schemaType?: unknown };
    if (typeof body.schema !== 'string') throw this.refused(`GET ${path} answered without a schema`, res);
    return {
      schema: body.schema,
      schemaType: typeof body.schemaType === 'string' ? body.schemaType : 'AVRO',
    };
  }

  private call(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpAnswer> {
    return withRetry(() => this.once(method, path, body), {
      attempts: 3,
      baseDelayMs: 200,
      maxDelayMs: 1000,
    });
  }

  /** One request; retriable InfraError for transport failures, 5xx and 429. */
  private once(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpAnswer> {
    const url = new URL(this.settings.url + path);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { accept: CONTENT_TYPE };
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE;
    if (this.authorization !== null) headers.authorization = this.authorization;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = send(
        url,
        { method, headers, timeout: this.settings.requestTimeoutMs, ...(this.ca ? { ca: this.ca } : {}) },
        (res) => {
          readBody(res).then((text) => {
            const status = res.statusCode ?? 0;
            if (status >= 500 || status === 429) {
              reject(
                new InfraError(
                  `schema registry ${this.settings.url}: ${method} ${path}: HTTP ${status} ${brief(text)}`,
                  {
                    retriable: true,
                    component: 'other',
                  },
                ),
              );
            } else resolve({ status, body: text });
          }, reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`no answer within ${this.settings.requestTimeoutMs} ms`)),
      );
      req.on('error', (err) =>
        reject(
          new InfraError(`schema registry ${this.settings.url} unreachable: ${err.message}`, {
            retriable: true,
            component: 'other',
            cause: err,
          }),
        ),
      );
      req.end(body);
    });
  }

  private refused(what: string, res: HttpAnswer): InfraError {
    const auth =
      res.status === 401 || res.status === 403
        ? ' (credentials refused: check BERTH_SCHEMA_REGISTRY_USERNAME / BERTH_SCHEMA_REGISTRY_PASSWORD)'
        : '';
    return new InfraError(
      `schema registry ${this.settings.url}: ${what}: HTTP ${res.status}${auth} ${brief(res.body)}`.trim(),
      { retriable: false, component: 'config' },
    );
  }
}

interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_RESPONSE_BYTES) res.destroy(new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`));
      else chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

function brief(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 200);
}
