import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, type KafkaConfig, logLevel, type RetryOptions, type SASLOptions } from 'kafkajs';
import {
  type KafkaSaslSettings,
  type KafkaSecurityConfig,
  type KafkaTlsSettings,
  NO_KAFKA_SECURITY,
} from '../config/kafka-security-config.js';
import { installRequestQueueTimerFix } from './request-queue-timer-fix.js';

export interface KafkaConnectionOptions {
  /** host:port list, e.g. ['127.0.0.1:9092']. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Milliseconds to wait for a TCP connection to a broker. */
  readonly connectionTimeoutMs?: number;
  /** Print KafkaJS's own log lines at this level and above; default errors only. */
  readonly logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
  /** Fields replacing `KAFKA_RETRY`'s (a probe that must answer quickly retries less). */
  readonly retry?: Partial<RetryOptions>;
  /** TLS and SASL (`config/kafka-security-config.ts`); default plaintext without authentication. */
  readonly security?: KafkaSecurityConfig;
}

const LEVELS = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
} as const;

/**
 * KafkaJS's retry policy for every client (producers, consumers and admins take it, a
 * per-client `retry` overrides single fields). Retries are capped at 1 s apart so a client notices
 * a broker that answers again within about a second — with the old 5 s cap (KafkaJS's own is
 * 30 s) a consumer or producer sleeping in backoff added up to 5 s to every recovery. Eight
 * retries keep the budget of a request at about 6 s (200 + 400 + 800 + 5 × 1000 ms, ±20 %).
 * Every field is set: KafkaJS fills missing ones from defaults that depend on NODE_ENV (under
 * `test` a factor of 0.02 and a multiplier of 1.5), and tests must run the production policy.
 */
export const KAFKA_RETRY = Object.freeze({
  retries: 8,
  initialRetryTime: 200,
  maxRetryTime: 1000,
  factor: 0.2,
  multiplier: 2,
});

/**
 * The one place a KafkaJS client is constructed. Callers that already own a KafkaJS instance
 * (for example a service embedding the client SDK) pass it instead of options.
 */
export function createKafka(opts: KafkaConnectionOptions): Kafka {
  installRequestQueueTimerFix();
  const config: KafkaConfig = {
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    logLevel: LEVELS[opts.logLevel ?? 'nothing'],
    retry: { ...KAFKA_RETRY, ...opts.retry },
  };
  const security = opts.security ?? NO_KAFKA_SECURITY;
  if (security.tls) config.ssl = kafkaJsTls(security.tls);
  if (security.sasl) config.sasl = kafkaJsSasl(security.sasl);
  return new Kafka(config);
}

/** Node TLS options: the configured CA replaces the public roots; verification stays on unless off. */
function kafkaJsTls(tls: KafkaTlsSettings): ConnectionOptions {
  return {
    rejectUnauthorized: tls.verify,
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
  };
}

function kafkaJsSasl(sasl: KafkaSaslSettings): SASLOptions {
  if (sasl.mechanism === 'oauthbearer') {
    const { tokenFile } = sasl;
    // Read at every (re)authentication, so a token rotated on disk is picked up without a restart.
    return {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => ({ value: (await readFile(tokenFile, 'utf8')).trim() }),
    };
  }
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
}

/** Reads BERTH_KAFKA_BROKERS (comma-separated), default 127.0.0.1:9092. */
export function brokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.BERTH_KAFKA_BROKERS ?? '127.0.0.1:9092';
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
