import { describe, expect, it } from 'vitest';
import type { ConsumedRecord, OfferDecision } from '../../src/intake/consumed-record.js';
import { IntakeBuffer } from '../../src/intake/intake-buffer.js';

function rec(partition: number, offset: number, bytes = 100): ConsumedRecord {
  return {
    topic: 't',
    partition,
    offset: String(offset),
    key: null,
    value: new Uint8Array(bytes),
    headers: {},
  };
}

function fixture(room: number, decide?: (r: ConsumedRecord) => OfferDecision) {
  const taken: string[] = [];
  const wakes: number[] = [];
  let left = room;
  const buffer = new IntakeBuffer({
    sink: {
      offer(r) {
        const d = decide?.(r);
        if (d && d.kind !== 'accepted') return d;
        if (left === 0) return { kind: 'full' };
        left--;
        taken.push(`${r.partition}@${r.offset}`);
        return { kind: 'accepted' };
      },
    },
    maxPartitionBytes: 1000,
    wakeAt: (at) => wakes.push(at),
    now: () => 1000,
  });
  return { buffer, taken, wakes, give: (n: number) => (left += n) };
}

describe('IntakeBuffer', () => {
  it('offers in offset order per partition, round-robin across partitions, and stops when full', () => {
    const f = fixture(3);
    f.buffer.push(0, [rec(0, 0), rec(0, 1), rec(0, 2)]);
    f.buffer.push(1, [rec(1, 10), rec(1, 11)]);
    f.buffer.pump();
    expect(f.taken).toHaveLength(3);
    const fromZero = f.taken.filter((t) => t.startsWith('0@'));
    expect(fromZero).toEqual(['0@0', '0@1', '0@2'].slice(0, fromZero.length));
    expect(f.taken).toContain('1@10');
    expect(f.buffer.size).toBe(2);
    f.give(10);
    f.buffer.pump();
    expect(f.taken.sort()).toEqual(['0@0', '0@1', '0@2', '1@10', '1@11']);
    expect(f.buffer.size).toBe(0);
    expect(f.buffer.bytes).toBe(0);
  });

  it('reports a partition full at its byte bound and drained below half of it', () => {
    const f = fixture(0);
    f.buffer.push(2, [rec(2, 0, 300), rec(2, 1, 300), rec(2, 2, 300)]);
    expect(f.buffer.isFull(2)).toBe(true);
    expect(f.buffer.wantsMore(2)).toBe(false);
    expect(f.buffer.isFull(3)).toBe(false);
    f.give(1);
    f.buffer.pump();
    expect(f.buffer.isFull(2)).toBe(false);
    expect(f.buffer.wantsMore(2)).toBe(false);
    f.give(1);
    f.buffer.pump();
    expect(f.buffer.isFull(2)).toBe(false);
    expect(f.buffer.wantsMore(2)).toBe(true);
  });

  it('parks a deferred head without blocking other partitions or unrelated records, and asks to be woken when due', () => {
    const f = fixture(10, (r) =>
      r.partition === 0 && r.offset === '0' ? { kind: 'defer', untilMs: 5000 } : { kind: 'accepted' },
    );
    f.buffer.push(0, [rec(0, 0), rec(0, 1)]);
    f.buffer.push(1, [rec(1, 0)]);
    f.buffer.pump();
    // 0@1 has no key, so nothing orders it after 0@0: it is offered past the waiting head.
    expect(f.taken.sort()).toEqual(['0@1', '1@0']);
    expect(f.wakes).toEqual([5000]);
    expect(f.buffer.size).toBe(1);
  });

  it('clear forgets buffered records (Kafka re-delivers them from the committed offset)', () => {
    const f = fixture(0);
    f.buffer.push(0, [rec(0, 0)]);
    f.buffer.push(1, [rec(1, 0)]);
    f.buffer.clear([1]);
    expect(f.buffer.size).toBe(1);
    f.buffer.clear();
    expect(f.buffer.size).toBe(0);
    f.give(5);
    f.buffer.pump();
    expect(f.taken).toEqual([]);
  });

  it('offers due records behind a not-yet-due head, but never one sharing a key with a waiting record', () => {
    const keyed = (offset: number, key: string): ConsumedRecord => ({
      ...rec(0, offset),
      key: Buffer.from(key),
    });
    const f = fixture(10, (r) =>
      r.offset === '0' || r.offset === '2' ? { kind: 'defer', untilMs: 60_000 } : { kind: 'accepted' },
    );
    // 0: key a, due in 60 s; 1: key a (must wait for 0); 2: key b, due in 60 s; 3: key b (waits); 4: key c (due now)
    f.buffer.push(0, [keyed(0, 'a'), keyed(1, 'a'), keyed(2, 'b'), keyed(3, 'b'), keyed(4, 'c')]);
    f.buffer.pump();
    expect(f.taken).toEqual(['0@4']);
    expect(f.buffer.size).toBe(4);
    expect(f.wakes).toEqual([60_000]);
  });
});
