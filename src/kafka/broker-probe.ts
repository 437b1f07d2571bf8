import { createKafka } from './kafka-connection.js';

export interface BrokerInfo {
  readonly clusterId: string;
  readonly brokers: number;
  readonly controllerId: number | null;
}

/** What a probe found: the cluster, or why it could not be reached. */
export type BrokerCheck =
  | { readonly ok: true; readonly info: BrokerInfo }
  | { readonly ok: false; readonly reason: string };

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
  opts: { createTopic?: boolean; timeoutMs: number },
): Promise<BrokerCheck> {
  const kafka = createKafka({
    brokers,
    clientId: 'berth-infra-probe',
    connectionTimeoutMs: Math.min(1000, opts.timeoutMs),
    // Each connect retry picks another seed broker: enough to try each twice, quickly.
    retry: { retries: 2 * brokers.length, initialRetryTime: 100, maxRetryTime: 300 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<BrokerCheck>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, reason: `no answer within ${opts.timeoutMs} ms` }),
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
  })().catch((err: unknown): BrokerCheck => ({ ok: false, reason: reasonOf(err) }));
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
  opts: { createTopic: boolean; timeoutMs: number },
): Promise<BrokerInfo | null> {
  const check = await checkBroker(brokers, opts);
  return check.ok ? check.info : null;
}
