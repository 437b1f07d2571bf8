import type { KafkaSecurityConfig } from '../config/kafka-security-config.js';
import { createKafka } from './kafka-connection.js';
import { kafkaSecurityFailureOf } from './kafka-security-failure.js';

export interface BrokerInfo {
  readonly clusterId: string;
  readonly brokers: number;
  readonly controllerId: number | null;
}

/**
 * What a probe found: the cluster, or why not — `unreachable` (no answer; `reason` is the socket
 * error), or the broker answered but refused the connection: `credentials` (SASL) or `tls`.
 */
export type BrokerCheck =
  | { readonly ok: true; readonly info: BrokerInfo }
  | { readonly ok: false; readonly kind: 'unreachable' | 'credentials' | 'tls'; readonly reason: string };

export interface BrokerProbeOptions {
  readonly createTopic?: boolean;
  readonly timeoutMs: number;
  /** TLS and SASL of the connection; default plaintext. */
  readonly security?: KafkaSecurityConfig;
}

/**
 * One line for a failed check: `cannot reach Kafka at HOST:PORT: <reason>` when nothing answered,
 * `Kafka at HOST:PORT rejected the credentials (…)` / `Kafka at HOST:PORT TLS: …` when it refused.
 */
export function brokerFailureLine(check: BrokerCheck & { ok: false }, brokers: readonly string[]): string {
  const where = brokers.join(',');
  return check.kind === 'unreachable'
    ? `cannot reach Kafka at ${where}: ${check.reason}`
    : `Kafka at ${where} ${check.reason}`;
}

type ErrorLike = { message?: string; cause?: unknown; host?: string; port?: number } | null;

/**
 * The innermost cause's message: KafkaJS wraps the socket error ("connect ECONNREFUSED …"); its
 * own messages ("Closed connection", "Connection timeout") get the broker's address.
 */
function reasonOf(err: unknown): string {
  let e = err as ErrorLike;
  while (e && typeof e.cause === 'object' && e.cause !== null && (e.cause as ErrorLike)?.message) {
    e = e.cause as ErrorLike;
  }
  const text = (e?.message ?? String(err)).replace(/^Connection error: /, '');
  const address = e?.host && e.port ? `${e.host}:${e.port}` : null;
  return address && !text.includes(address) ? `${text} (${address})` : text;
}

/**
 * Checks that a Kafka cluster answers on `brokers` (and, with `createTopic`, that a client can
 * create and delete a topic). Resolves with the cluster or with why not — the socket error, or no
 * answer within `timeoutMs`; never throws.
 */
export async function checkBroker(
  brokers: readonly string[],
  opts: BrokerProbeOptions,
): Promise<BrokerCheck> {
  const kafka = createKafka({
    brokers,
    clientId: 'berth-infra-probe',
    connectionTimeoutMs: Math.min(1000, opts.timeoutMs),
    // Each connect retry picks another seed broker: enough to try each twice, quickly.
    retry: { retries: 2 * brokers.length, initialRetryTime: 100, maxRetryTime: 300 },
    security: opts.security,
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<BrokerCheck>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, kind: 'unreachable', reason: `no answer within ${opts.timeoutMs} ms` }),
      opts.timeoutMs,
    );
    timer.unref();
  });
  const probe = (async (): Promise<BrokerCheck> => {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (opts.createTopic) {
      const topic = `__berth-probe-${process.pid}-${Date.now()}`;
      await admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      await admin.deleteTopics({ topics: [topic] });
    }
    return {
      ok: true,
      info: {
        clusterId: cluster.clusterId,
        brokers: cluster.brokers.length,
        controllerId: cluster.controller,
      },
    };
  })().catch((err: unknown): BrokerCheck => {
    const refused = kafkaSecurityFailureOf(err, opts.security);
    return refused
      ? { ok: false, kind: refused.kind, reason: refused.text }
      : { ok: false, kind: 'unreachable', reason: reasonOf(err) };
  });
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Checks that a Kafka cluster answers on `brokers` and, with `createTopic`, that a client can
 * create (and delete) a topic. Resolves null when it does not within the timeout; never throws.
 */
export async function probeBroker(
  brokers: readonly string[],
  opts: BrokerProbeOptions & { createTopic: boolean },
): Promise<BrokerInfo | null> {
  const check = await checkBroker(brokers, opts);
  return check.ok ? check.info : null;
}
