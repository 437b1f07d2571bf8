import { createKafka } from './kafka-connection.js';

export interface BrokerInfo {
  readonly clusterId: string;
  readonly brokers: number;
  readonly controllerId: number | null;
}

/**
 * Checks that a Kafka cluster answers on `brokers` and that a client can create (and delete) a
 * topic. Resolves null when it does not within the timeout; never throws.
 */
export async function probeBroker(
  brokers: readonly string[],
  opts: { createTopic: boolean; timeoutMs: number },
): Promise<BrokerInfo | null> {
  const kafka = createKafka({
    brokers,
    clientId: 'berth-infra-probe',
    connectionTimeoutMs: Math.min(1000, opts.timeoutMs),
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), opts.timeoutMs).unref());
  const probe = (async (): Promise<BrokerInfo> => {
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
      clusterId: cluster.clusterId,
      brokers: cluster.brokers.length,
      controllerId: cluster.controller,
    };
  })().catch(() => null);
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
