import { Kafka, type KafkaConfig, logLevel, type RetryOptions } from 'kafkajs';

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
  const config: KafkaConfig = {
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    logLevel: LEVELS[opts.logLevel ?? 'nothing'],
    retry: { ...KAFKA_RETRY, ...opts.retry },
  };
  return new Kafka(config);
}

/** Reads BERTH_KAFKA_BROKERS (comma-separated), default 127.0.0.1:9092. */
export function brokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.BERTH_KAFKA_BROKERS ?? '127.0.0.1:9092';
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
