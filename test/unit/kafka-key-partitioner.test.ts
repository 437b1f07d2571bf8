import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { keyPartitioner, murmur2 } from '../../src/kafka/key-partitioner.js';

const require = createRequire(import.meta.url);
// KafkaJS's own Java-compatible murmur2 (Long arithmetic): the reference this one must equal.
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: Buffer | string,
) => number;

describe('murmur2', () => {
  it('equals the Java client on its published test vectors', () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, expected] of cases) expect(murmur2(Buffer.from(key))).toBe(expected);
  });

  it("equals KafkaJS's implementation for keys of every tail length and random bytes", () => {
    for (let len = 0; len < 70; len++) {
      for (let n = 0; n < 20; n++) {
        const key = Buffer.alloc(len);
        for (let i = 0; i < len; i++) key[i] = Math.floor(Math.random() * 256);
        expect(murmur2(key)).toBe(kafkajsMurmur2(key) | 0);
      }
    }
  });
});

describe('keyPartitioner', () => {
  const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({
    partitionId: i,
    leader: i === 2 ? -1 : 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));

  it('picks the partition of the key like the Java client, and honours an explicit one', () => {
    const pick = keyPartitioner();
    for (const id of ['task-1', 'task-2', 'a', 'ünïcode-ключ']) {
      const expected = (kafkajsMurmur2(Buffer.from(id)) & 0x7fffffff) % 6;
      expect(pick({ topic: 't', partitionMetadata, message: { key: id, value: null } })).toBe(expected);
      expect(pick({ topic: 't', partitionMetadata, message: { key: Buffer.from(id), value: null } })).toBe(
        expected,
      );
    }
    expect(pick({ topic: 't', partitionMetadata, message: { key: 'x', value: null, partition: 4 } })).toBe(4);
  });

  it('spreads keyless records round-robin over partitions that have a leader', () => {
    const pick = keyPartitioner();
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) seen.add(pick({ topic: 't', partitionMetadata, message: { value: null } }));
    expect([...seen].sort()).toEqual([0, 1, 3, 4, 5]);
  });
});
