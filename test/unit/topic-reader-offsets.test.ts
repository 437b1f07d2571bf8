import { type Kafka, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TopicReader } from '../../src/kafka/client-topic-reader.js';

type Offsets = { partition: number; offset: string; high: string; low: string }[];

/** A Kafka whose admin answers fetchTopicOffsets from `answers` in turn (an Error is thrown). */
function fakeKafka(answers: (Offsets | Error)[]): { kafka: Kafka; calls: () => number } {
  let calls = 0;
  const admin = {
    fetchTopicOffsets: async () => {
      const a = answers[Math.min(calls++, answers.length - 1)];
      if (a instanceof Error) throw a;
      return a;
    },
    disconnect: async () => {},
  };
  const consumer = { disconnect: async () => {} };
  // Only the two members TopicReader calls before start(); the rest of Kafka is never touched.
  const kafka = { admin: () => admin, consumer: () => consumer } as unknown as Kafka;
  return { kafka, calls: () => calls };
}

/** A broker error as KafkaJS raises it (the constructor reads type, code and retriable off its argument). */
const protocolError = (type: string, code: number, retriable: boolean) =>
  new KafkaJSProtocolError(Object.assign(new Error(type), { type, code, retriable }));

describe('TopicReader offsets', () => {
  it('retries "not the leader" (a partition created a moment ago) instead of failing the read', async () => {
    const empty: Offsets = [{ partition: 0, offset: '0', high: '0', low: '0' }];
    const { kafka, calls } = fakeKafka([protocolError('NOT_LEADER_OR_FOLLOWER', 6, true), empty]);
    const reader = new TopicReader({ kafka, topic: 't', from: 'earliest', onRecord: () => {} });
    await reader.waitUntilCaughtUp(5_000);
    expect(calls()).toBe(2);
  });

  it('fails at once, with the project error, on an unknown topic', async () => {
    const { kafka, calls } = fakeKafka([protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3, true)]);
    const reader = new TopicReader({ kafka, topic: 't', from: 'earliest', onRecord: () => {} });
    await expect(reader.waitUntilCaughtUp(5_000)).rejects.toThrow(/does not exist/);
    expect(calls()).toBe(1);
  });
});
