import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TailConsumer, type TailRecord } from '../../src/kafka/tail-consumer.js';

type Message = { offset: string; key: Buffer | null; value: Buffer | null; timestamp: string };
type EachBatch = (p: { batch: { partition: number; messages: Message[] } }) => Promise<void>;

/** Just enough of a KafkaJS client to drive a TailConsumer: records are delivered by the test. */
function fakeKafka(
  from: { partition: number; offset: string }[],
  ends: { partition: number; high: string }[],
) {
  const seeks: { topic: string; partition: number; offset: string }[] = [];
  const timestamps: number[] = [];
  let eachBatch: EachBatch | null = null;
  const consumer = {
    connect: async () => {},
    subscribe: async () => {},
    run: async (o: { eachBatch: EachBatch }) => {
      eachBatch = o.eachBatch;
    },
    seek: (s: { topic: string; partition: number; offset: string }) => seeks.push(s),
    disconnect: async () => {},
  };
  const admin = {
    connect: async () => {},
    disconnect: async () => {},
    fetchTopicOffsetsByTimestamp: async (_topic: string, ts: number) => {
      timestamps.push(ts);
      return from;
    },
    fetchTopicOffsets: async () => ends.map((e) => ({ ...e, offset: e.high, low: '0' })),
  };
  const kafka = { consumer: () => consumer, admin: () => admin } as unknown as Kafka;
  /** One fetched batch of `partition` with records at these offsets. */
  const deliver = async (partition: number, ...offsets: number[]) => {
    if (eachBatch === null) throw new Error('consumer not running');
    await eachBatch({
      batch: {
        partition,
        messages: offsets.map((offset) => ({
          offset: String(offset),
          key: null,
          value: Buffer.from(`r${offset}`),
          timestamp: '0',
        })),
      },
    });
  };
  return { kafka, seeks, timestamps, deliver };
}

const tick = () => new Promise((r) => setTimeout(r, 80));

describe('TailConsumer rewind', () => {
  it('seeks every partition to the rewind offset and starts only once the old records were read', async () => {
    const f = fakeKafka(
      [
        { partition: 0, offset: '2' },
        { partition: 1, offset: '9' },
      ],
      [
        { partition: 0, high: '5' },
        { partition: 1, high: '9' },
      ],
    );
    const seen: string[] = [];
    const tail = new TailConsumer({
      kafka: f.kafka,
      topic: 'ctl',
      groupId: 'g',
      rewindMs: 60_000,
      now: () => 1_000_000,
      onRecord: (r: TailRecord) => seen.push(String(r.value)),
    });
    let started = false;
    const starting = tail.start().then(() => {
      started = true;
    });
    await tick();
    expect(f.timestamps).toEqual([940_000]);
    expect(f.seeks).toEqual([
      { topic: 'ctl', partition: 0, offset: '2' },
      { topic: 'ctl', partition: 1, offset: '9' },
    ]);
    await f.deliver(0, 7); // a new record fetched from the end before the seek applied
    await f.deliver(0, 2, 3);
    await tick();
    expect(started).toBe(false); // offset 4 (the last before the end at start) not read yet
    await f.deliver(0, 4, 5, 6);
    await starting;
    expect(started).toBe(true);
    expect(tail.isStarted).toBe(true);
    expect(seen).toEqual(['r7', 'r2', 'r3', 'r4', 'r5', 'r6']);
  });

  it('without rewind it neither asks the admin nor seeks', async () => {
    const f = fakeKafka([{ partition: 0, offset: '0' }], [{ partition: 0, high: '3' }]);
    const tail = new TailConsumer({ kafka: f.kafka, topic: 'm', groupId: 'g', onRecord: () => {} });
    await tail.start();
    expect(f.timestamps).toEqual([]);
    expect(f.seeks).toEqual([]);
  });

  it('follows anyway when the old records do not arrive in time', async () => {
    const f = fakeKafka([{ partition: 0, offset: '0' }], [{ partition: 0, high: '3' }]);
    const lines: string[] = [];
    const tail = new TailConsumer({
      kafka: f.kafka,
      topic: 'ctl',
      groupId: 'g',
      rewindMs: 1000,
      catchUpTimeoutMs: 100,
      onRecord: () => {},
      log: (l) => lines.push(l),
    });
    await tail.start();
    expect(tail.isStarted).toBe(true);
    expect(lines).toEqual(['ctl: not caught up after 100 ms, following anyway']);
  });
});
