import type { Kafka } from 'kafkajs';
import { InfraError } from '../domain/infra-error.js';

/**
 * The Kafka cluster's id (KRaft and ZooKeeper clusters both have one, stable for the cluster's
 * life). Throws a retriable `InfraError` when the broker does not answer, a non-retriable one when
 * it answers without an id.
 */
export async function fetchClusterId(kafka: Kafka): Promise<string> {
  const admin = kafka.admin();
  let clusterId: string | undefined;
  try {
    await admin.connect();
    clusterId = (await admin.describeCluster()).clusterId;
  } catch (err) {
    throw new InfraError(`cannot read the Kafka cluster id: ${(err as Error).message}`, {
      retriable: true,
      component: 'kafka',
      cause: err,
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (!clusterId) {
    throw new InfraError('the Kafka cluster reports no cluster id; set --installation-id', {
      retriable: false,
      component: 'kafka',
    });
  }
  return clusterId;
}
