import { describe, expect, it } from 'vitest';
import { type ArrivedResult, eventsDue, offeredLatency } from '../../src/bench/offered-latency.js';

describe('eventsDue', () => {
  it('spreads events evenly and caps at the total', () => {
    expect(eventsDue(1000, 0, 100)).toBe(0);
    expect(eventsDue(1000, 1.5, 100)).toBe(1);
    expect(eventsDue(1000, 50, 100)).toBe(50);
    expect(eventsDue(1000, 500, 100)).toBe(100);
    expect(eventsDue(10, 250, 100)).toBe(2);
  });
});

interface Ev {
  readonly id: string;
  readonly createdAtMs: number;
}

describe('offeredLatency', () => {
  it('measures arrival − createdAt per task through a callback source', async () => {
    const listeners = new Set<(r: ArrivedResult) => void>();
    const produceCalls: number[] = [];
    const figures = await offeredLatency<Ev>({
      ratePerSecond: 500,
      durationSeconds: 0.2,
      makeEvent: (i, nowMs) => ({ id: `t${i}`, createdAtMs: nowMs }),
      produce: async (events) => {
        produceCalls.push(events.length);
        // Every result arrives 20 ms after its event was made (a fixed service time).
        for (const e of events)
          setTimeout(() => {
            for (const l of listeners) l({ id: e.id, arrivedAtMs: e.createdAtMs + 20 });
          }, 5);
      },
      results: (onResult) => {
        listeners.add(onResult);
        return () => listeners.delete(onResult);
      },
    });
    expect(figures.produced).toBe(100);
    expect(figures.answered).toBe(100);
    expect(figures.missing).toBe(0);
    expect(figures.p50Ms).toBe(20);
    expect(figures.p99Ms).toBe(20);
    expect(produceCalls.reduce((a, b) => a + b, 0)).toBe(100);
    // Batched per tick, not one call for everything.
    expect(produceCalls.length).toBeGreaterThan(5);
    expect(listeners.size).toBe(0);
  });

  it('reads an async iterable, counts duplicates once and reports missing results', async () => {
    const queue: ArrivedResult[] = [];
    let wake: () => void = () => {};
    async function* results(): AsyncGenerator<ArrivedResult> {
      for (;;) {
        while (queue.length > 0) {
          const r = queue.shift();
          if (r) yield r;
        }
        await new Promise<void>((r) => {
          wake = r;
        });
      }
    }
    const figures = await offeredLatency<Ev>({
      ratePerSecond: 200,
      durationSeconds: 0.1,
      makeEvent: (i, nowMs) => ({ id: `t${i}`, createdAtMs: nowMs }),
      produce: async (events) => {
        for (const e of events) {
          if (e.id === 't3') continue; // lost
          queue.push(
            { id: e.id, arrivedAtMs: e.createdAtMs + 7 },
            { id: e.id, arrivedAtMs: e.createdAtMs + 99 },
          );
        }
        wake();
      },
      results: results(),
      drainTimeoutMs: 200,
    });
    expect(figures.produced).toBe(20);
    expect(figures.answered).toBe(19);
    expect(figures.missing).toBe(1);
    expect(figures.maxMs).toBe(7);
  });

  it('handles a result that arrives before its produce call returned', async () => {
    let emit: (r: ArrivedResult) => void = () => {};
    const figures = await offeredLatency<Ev>({
      ratePerSecond: 100,
      durationSeconds: 0.05,
      makeEvent: (i) => ({ id: `t${i}`, createdAtMs: 1000 }),
      produce: async (events) => {
        for (const e of events) emit({ id: e.id, arrivedAtMs: 1003 });
      },
      results: (onResult) => {
        emit = onResult;
        return () => {};
      },
      now: () => Date.now(),
    });
    expect(figures.answered).toBe(5);
    expect(figures.p50Ms).toBe(3);
  });

  it('counts failed produce calls', async () => {
    const figures = await offeredLatency<Ev>({
      ratePerSecond: 100,
      durationSeconds: 0.05,
      makeEvent: (i, nowMs) => ({ id: `t${i}`, createdAtMs: nowMs }),
      produce: async () => {
        throw new Error('broker down');
      },
      results: () => () => {},
      drainTimeoutMs: 10,
    });
    expect(figures.produceErrors).toBe(5);
    expect(figures.answered).toBe(0);
    expect(figures.p50Ms).toBeNaN();
  });
});
