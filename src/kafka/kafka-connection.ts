import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';

export interface KafkaConnectionOptions {
  /** host:port list, e.g. ['127.0.0.1:9092']. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Milliseconds to wait for a TCP connection to a broker. */
  readonly connectionTimeoutMs?: number;
  /** Print KafkaJS's own log lines at this level and above; default errors only. */
  readonly logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
}

const LEVELS = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
} as const;

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
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
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
