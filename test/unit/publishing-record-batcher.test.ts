import { describe, expect, it } from 'vitest';
import { RecordBatcher } from '../../src/publishing/record-batcher.js';
import type { OutgoingRecord, TopicRecords } from '../../src/publishing/record-producer-port.js';

function record(key: string, bytes = 10): OutgoingRecord {
  return { key, value: new Uint8Array(bytes), headers: {} };
}

function sender() {
  const requests: TopicRecords[][] = [];
  const gates: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  return {
    requests,
    gates,
    port: {
      sendBatch(batch: readonly TopicRecords[]) {
        requests.push([...batch]);
        return new Promise<void>((resolve, reject) => gates.push({ resolve, reject }));
      },
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('RecordBatcher', () => {
  it('sends concurrent sends together and queues the rest behind the one request in flight', async () => {
    const s = sender();
    const b = new RecordBatcher(s.port);
    const first = [b.send('a', [record('1')]), b.send('b', [record('2')]), b.send('a', [record('3')])];
    await tick();
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]?.map((t) => [t.topic, t.records.map((r) => r.key)])).toEqual([
      ['a', ['1', '3']],
      ['b', ['2']],
    ]);
    const later = [b.send('a', [record('4')]), b.send('a', [record('5')])];
    await tick();
    expect(s.requests).toHaveLength(1); // still in flight
    s.gates[0]?.resolve();
    await Promise.all(first);
    await tick();
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1]?.[0]?.records.map((r) => r.key)).toEqual(['4', '5']);
    s.gates[1]?.resolve();
    await Promise.all(later);
  });

  it('rejects every send of a failed request, and only those', async () => {
    const s = sender();
    const b = new RecordBatcher(s.port);
    const a = b.send('t', [record('1')]);
    const c = b.send('t', [record('2')]);
    await tick();
    const d = b.send('t', [record('3')]);
    s.gates[0]?.reject(new Error('boom'));
    await expect(a).rejects.toThrow('boom');
    await expect(c).rejects.toThrow('boom');
    await tick();
    s.gates[1]?.resolve();
    await expect(d).resolves.toBeUndefined();
  });

  it('sends a large record alone and bounds a request by records', async () => {
    const s = sender();
    const b = new RecordBatcher(s.port, { soloBytes: 1000, maxBatchRecords: 2 });
    const sends = [
      b.send('t', [record('big', 5000)]),
      b.send('t', [record('x')]),
      b.send('t', [record('y')]),
      b.send('t', [record('z')]),
    ];
    for (let i = 0; i < 3; i++) {
      await tick();
      s.gates[i]?.resolve();
      await tick();
    }
    await Promise.all(sends);
    expect(s.requests.map((r) => r.flatMap((t) => t.records.map((x) => x.key)))).toEqual([
      ['big'],
      ['x', 'y'],
      ['z'],
    ]);
  });
});
