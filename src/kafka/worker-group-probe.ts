import type { Kafka } from 'kafkajs';
import { kafkaFailure } from './client-errors.js';

/** What the broker's group coordinator says about a consumer group right now. */
export interface ConsumerGroupView {
  /** Kafka's group state: `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty`, `Dead`. */
  readonly state: string;
  /** Live members: consumers that joined and still heartbeat within the session timeout. */
  readonly members: number;
}

/**
 * Describes consumer group `groupId` through the admin API (DescribeGroups). A group nobody ever
 * joined reads as `Dead` with no members. Kafka failures reject with `InfraError`.
 */
export async function describeConsumerGroup(
  kafka: Kafka,
  groupId: string,
  brokers: readonly string[] | null = null,
): Promise<ConsumerGroupView> {
  const admin = kafka.admin({ retry: { retries: 1 } });
  try {
    await admin.connect();
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups.find((g) => g.groupId === groupId);
    return { state: group?.state ?? 'Dead', members: group?.members.length ?? 0 };
  } catch (err) {
    throw kafkaFailure(err, `describing consumer group ${groupId}`, brokers);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
