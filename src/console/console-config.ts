import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InfraError } from '../domain/infra-error.js';
import { brokersFromEnv } from '../kafka/kafka-connection.js';
import type { StoreLocation } from './store-connection.js';

/** `berth console`'s settings, parsed and checked once at start. */
export interface ConsoleConfig {
  readonly brokers: readonly string[];
  readonly topicPrefix: string;
  /** Address the HTTP server binds; loopback by default. */
  readonly host: string;
  readonly port: number;
  /** Required for every request when set; must be set when `host` is not a loopback address. */
  readonly token: string | null;
  readonly store: StoreLocation;
  /** Results, dead letters and worker rows older than this are removed (hourly). */
  readonly retentionMs: number;
  /** How often the retention pass runs. */
  readonly pruneIntervalMs: number;
}

/** What flags can set; each falls back to its BERTH_CONSOLE_* variable, then the default. */
export interface ConsoleFlags {
  readonly port?: string;
  readonly host?: string;
  readonly db?: string;
}

export const CONSOLE_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 8780,
  retentionMs: 7 * 24 * 3_600_000,
  pruneIntervalMs: 3_600_000,
});

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function configError(message: string): InfraError {
  return new InfraError(message, { retriable: false, component: 'config' });
}

function intSetting(
  text: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw configError(`${name}: '${text}' is not a whole number from ${min} to ${max}`);
  return n;
}

/**
 * Reads the console's settings: BERTH_CONSOLE_PORT / --port, BERTH_CONSOLE_HOST / --host,
 * BERTH_CONSOLE_TOKEN, BERTH_CONSOLE_DATABASE_URL (PostgreSQL) or BERTH_CONSOLE_SQLITE_PATH /
 * --db (default `$BERTH_STATE_DIR/console-<prefix>.sqlite`), BERTH_CONSOLE_RETENTION_MS, plus
 * BERTH_KAFKA_BROKERS and BERTH_TOPIC_PREFIX. Throws a non-retriable config `InfraError`.
 */
export function loadConsoleConfig(
  flags: ConsoleFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): ConsoleConfig {
  const topicPrefix = env.BERTH_TOPIC_PREFIX ?? 'berth';
  const host = flags.host ?? env.BERTH_CONSOLE_HOST ?? CONSOLE_DEFAULTS.host;
  const port = intSetting(
    flags.port ?? env.BERTH_CONSOLE_PORT,
    'BERTH_CONSOLE_PORT (--port)',
    CONSOLE_DEFAULTS.port,
    0,
    65535,
  );
  const token = env.BERTH_CONSOLE_TOKEN ? env.BERTH_CONSOLE_TOKEN : null;
  if (!LOOPBACK.has(host) && token === null)
    throw configError(
      `BERTH_CONSOLE_TOKEN must be set when the console binds ${host} (not a loopback address)`,
    );
  if (token !== null && token.length < 16)
    throw configError('BERTH_CONSOLE_TOKEN must be at least 16 characters');
  const url = env.BERTH_CONSOLE_DATABASE_URL;
  let store: StoreLocation;
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url))
      throw configError('BERTH_CONSOLE_DATABASE_URL must be a postgres:// or postgresql:// URL');
    store = { kind: 'postgres', url };
  } else {
    const stateDir = resolve(env.BERTH_STATE_DIR ?? join(homedir(), '.berth'));
    store = {
      kind: 'sqlite',
      path: resolve(
        flags.db ?? env.BERTH_CONSOLE_SQLITE_PATH ?? join(stateDir, `console-${topicPrefix}.sqlite`),
      ),
    };
  }
  return Object.freeze({
    brokers: Object.freeze(brokersFromEnv(env)),
    topicPrefix,
    host,
    port,
    token,
    store,
    retentionMs: intSetting(
      env.BERTH_CONSOLE_RETENTION_MS,
      'BERTH_CONSOLE_RETENTION_MS',
      CONSOLE_DEFAULTS.retentionMs,
      60_000,
      3650 * 24 * 3_600_000,
    ),
    pruneIntervalMs: CONSOLE_DEFAULTS.pruneIntervalMs,
  });
}

/** The store's location for messages: the SQLite path or the URL without its password. */
export function describeStore(store: StoreLocation): string {
  if (store.kind === 'sqlite') return `sqlite ${store.path}`;
  try {
    const u = new URL(store.url);
    if (u.password) u.password = '***';
    return `postgres ${u.toString()}`;
  } catch {
    return 'postgres';
  }
}
