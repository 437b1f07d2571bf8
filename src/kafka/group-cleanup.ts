import type { DeleteGroupsResult, Kafka } from 'kafkajs';

/**
 * Deletes the consumer groups whose id starts with `prefix` (bench and test cleanup: a worker
 * leaves its task, retry, control and heartbeat groups behind). Groups with live members are
 * not deletable and are left alone. Returns the ids deleted.
 */
export async function deleteGroupsWithPrefix(kafka: Kafka, prefix: string): Promise<string[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { groups } = await admin.listGroups();
    const ids = groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix));
    if (ids.length === 0) return [];
    // When some cannot be deleted KafkaJS throws, listing every group's outcome on the error.
    const outcome = await admin
      .deleteGroups(ids)
      .catch((err: unknown): DeleteGroupsResult[] => (err as { groups?: DeleteGroupsResult[] }).groups ?? []);
    return outcome.filter((g) => !g.errorCode).map((g) => g.groupId);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
