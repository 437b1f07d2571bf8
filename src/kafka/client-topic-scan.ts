import type { Kafka } from 'kafkajs';
import { TopicReader, type TopicRecord } from './client-topic-reader.js';

/**
 * Reads every record on `topic` now (from the earliest offset to the current end) and returns;
 * records produced meanwhile may or may not be included. For CLI listings.
 */
export async function scanTopic(
  kafka: Kafka,
  topic: string,
  onRecord: (record: TopicRecord) => void | Promise<void>,
  opts: { readonly brokers?: readonly string[]; readonly timeoutMs?: number } = {},
): Promise<void> {
  const reader = new TopicReader({
    kafka,
    topic,
    from: 'earliest',
    onRecord,
    brokers: opts.brokers,
    groupPrefix: 'berth-scan',
    maxWaitMs: 100,
  });
  try {
    await reader.start();
    await reader.waitUntilCaughtUp(opts.timeoutMs ?? 60_000);
  } finally {
    await reader.close();
  }
}
