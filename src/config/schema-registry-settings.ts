import { readFileSync } from 'node:fs';
import { InfraError } from '../domain/infra-error.js';

/**
 * How worker, CLI and SDK reach a Confluent-compatible schema registry. Parsed and validated once;
 * frozen. `url` never carries credentials: user-info given in the URL moves to username/password.
 */
export interface SchemaRegistrySettings {
  /** Base URL without user-info or trailing slash, e.g. `http://registry:8081` or `…/apis/ccompat/v7`. */
  readonly url: string;
  readonly username: string | null;
  readonly password: string | null;
  /** Per HTTP request. */
  readonly requestTimeoutMs: number;
  /** PEM CA bundle trusted for an https URL (added to Node's default CAs); null: defaults only. */
  readonly caPem: string | null;
}

/** What a caller gives: the environment, flags or the SDK's options, before validation. */
export interface SchemaRegistryInput {
  readonly url?: string;
  readonly username?: string;
  readonly password?: string;
  readonly requestTimeoutMs?: number;
  readonly caFile?: string;
}

export const DEFAULT_REGISTRY_TIMEOUT_MS = 5000;

/** The variables the CLI and the worker read (the worker also takes them as flags). */
export const SCHEMA_REGISTRY_ENV = Object.freeze({
  url: 'BERTH_SCHEMA_REGISTRY_URL',
  username: 'BERTH_SCHEMA_REGISTRY_USERNAME',
  password: 'BERTH_SCHEMA_REGISTRY_PASSWORD',
  requestTimeoutMs: 'BERTH_SCHEMA_REGISTRY_TIMEOUT_MS',
  caFile: 'BERTH_SCHEMA_REGISTRY_CA_FILE',
});

/**
 * Validates registry settings; null when no URL is given (fixed ids from schemas/ids.json).
 * Throws a one-line, non-retriable `InfraError` (component `config`) for a bad URL, half a
 * credential pair, a timeout out of range or an unreadable CA file.
 */
export function parseSchemaRegistrySettings(input: SchemaRegistryInput): SchemaRegistrySettings | null {
  const raw = input.url?.trim() ?? '';
  if (raw === '') return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return fail(`${SCHEMA_REGISTRY_ENV.url} is not a URL: '${raw}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    fail(`${SCHEMA_REGISTRY_ENV.url} must be http:// or https://, got '${parsed.protocol}'`);
  const username = nonEmpty(input.username) ?? nonEmpty(decodeURIComponent(parsed.username));
  const password = nonEmpty(input.password) ?? nonEmpty(decodeURIComponent(parsed.password));
  if ((username === null) !== (password === null))
    fail(
      `schema registry basic auth needs both ${SCHEMA_REGISTRY_ENV.username} and ${SCHEMA_REGISTRY_ENV.password} (or user:password@ in the URL)`,
    );
  parsed.username = '';
  parsed.password = '';
  const requestTimeoutMs = input.requestTimeoutMs ?? DEFAULT_REGISTRY_TIMEOUT_MS;
  if (!Number.isSafeInteger(requestTimeoutMs) || requestTimeoutMs < 100 || requestTimeoutMs > 120_000)
    fail(
      `${SCHEMA_REGISTRY_ENV.requestTimeoutMs} must be an integer in [100, 120000], got '${requestTimeoutMs}'`,
    );
  let caPem: string | null = null;
  if (input.caFile) {
    if (parsed.protocol !== 'https:') fail(`${SCHEMA_REGISTRY_ENV.caFile} is set but the URL is not https`);
    try {
      caPem = readFileSync(input.caFile, 'utf8');
    } catch (err) {
      fail(`${SCHEMA_REGISTRY_ENV.caFile} '${input.caFile}' cannot be read: ${(err as Error).message}`);
    }
  }
  return Object.freeze({
    url: parsed.toString().replace(/\/+$/, ''),
    username,
    password,
    requestTimeoutMs,
    caPem,
  });
}

/** The registry settings from `BERTH_SCHEMA_REGISTRY_*` variables; null when the URL is unset. */
export function schemaRegistrySettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): SchemaRegistrySettings | null {
  const timeout = env[SCHEMA_REGISTRY_ENV.requestTimeoutMs];
  return parseSchemaRegistrySettings({
    url: env[SCHEMA_REGISTRY_ENV.url],
    username: env[SCHEMA_REGISTRY_ENV.username],
    password: env[SCHEMA_REGISTRY_ENV.password],
    requestTimeoutMs: timeout === undefined || timeout === '' ? undefined : Number(timeout),
    caFile: env[SCHEMA_REGISTRY_ENV.caFile],
  });
}

function nonEmpty(s: string | undefined): string | null {
  return s === undefined || s === '' ? null : s;
}

function fail(message: string): never {
  throw new InfraError(message, { retriable: false, component: 'config' });
}
