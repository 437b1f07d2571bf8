import { randomBytes } from 'node:crypto';
import { type Consumer, type EachBatchPayload, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokersFromEnv } from '../../src/kafka/kafka-connection.js';

/**
 * Proves that KafkaJS 2.2.4 works against the broker `berth infra up` starts (Kafka 4.x, KRaft):
 * the calls Berth's intake depends on, for real.
 */
describe('KafkaJS against the local Kafka 4.x broker', () => {
  const kafka = new Kafka({
    clientId: 'berth-compat-test',
    brokers: brokersFromEnv(),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const topic = `t-compat-${randomBytes(4).toString('hex')}`;
  const group = `g-${topic}`;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('produces idempotently, consumes in a group, commits, pauses and resumes a partition', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const messages = (p: number, from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        partition: p,
        key: `k${from + i}`,
        value: `v${p}-${from + i}`,
      }));
    await producer.send({ topic, acks: -1, messages: [...messages(0, 0, 5), ...messages(1, 0, 5)] });

    const seen: string[] = [];
    let pausedAt = 0;
    const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
        for (const m of batch.messages) {
          seen.push(m.value?.toString() ?? '');
          resolveOffset(m.offset);
        }
        await heartbeat();
        const last = batch.lastOffset();
        await consumer.commitOffsets([
          { topic, partition: batch.partition, offset: String(Number(last) + 1) },
        ]);
        if (batch.partition === 1 && pausedAt === 0) {
          consumer.pause([{ topic, partitions: [1] }]);
          pausedAt = seen.length;
        }
      },
    });
    await waitFor(() => seen.length >= 10, 30_000);
    expect(consumer.paused()).toEqual([{ topic, partitions: [1] }]);

    // While partition 1 is paused, new records on it are not delivered; partition 0 keeps flowing.
    await producer.send({ topic, acks: -1, messages: [...messages(1, 5, 3), ...messages(0, 5, 3)] });
    await waitFor(() => seen.filter((v) => v.startsWith('v0-')).length >= 8, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen.filter((v) => v.startsWith('v1-'))).toHaveLength(5);

    consumer.resume([{ topic, partitions: [1] }]);
    await waitFor(() => seen.filter((v) => v.startsWith('v1-')).length >= 8, 30_000);
    expect(seen.filter((v) => v.startsWith('v1-')).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `v1-${i}`).sort(),
    );
    await producer.disconnect();
    await consumer.disconnect();

    const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const offsets = committed[0]?.partitions.map((p) => [p.partition, p.offset]).sort();
    expect(offsets).toEqual([
      [0, '8'],
      [1, '8'],
    ]);
  });
});

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
