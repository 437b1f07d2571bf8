import { describe, expect, it } from 'vitest';
import { SlotPool, SlotRequestTooLarge } from '../../src/slots/slot-pool.js';

const MB = 1024 * 1024;
const flush = () => new Promise((r) => setImmediate(r));

describe('SlotPool', () => {
  it('never grants more slots than it has', async () => {
    const pool = new SlotPool({ slots: 2, memoryBudgetBytes: 1000 * MB });
    const granted: number[] = [];
    for (let i = 0; i < 5; i++) void pool.acquire(10 * MB).then(() => granted.push(i));
    await flush();
    expect(granted).toEqual([0, 1]);
    expect(pool.busySlots).toBe(2);
    expect(pool.waiting).toBe(3);
  });

  it('never over-commits memory and frees it on release (idempotent)', async () => {
    const pool = new SlotPool({ slots: 10, memoryBudgetBytes: 100 * MB });
    const a = await pool.acquire(60 * MB);
    let bGranted = false;
    const b = pool.acquire(50 * MB).then((l) => {
      bGranted = true;
      return l;
    });
    await flush();
    expect(bGranted).toBe(false);
    expect(pool.canFit(50 * MB)).toBe(false);
    expect(pool.canFit(40 * MB)).toBe(true);
    a.release();
    a.release();
    await flush();
    expect(bGranted).toBe(true);
    expect(pool.memoryUsedBytes).toBe(50 * MB);
    (await b).release();
    expect(pool.memoryUsedBytes).toBe(0);
    expect(pool.busySlots).toBe(0);
  });

  it('rejects at once a request larger than the whole budget', async () => {
    const pool = new SlotPool({ slots: 1, memoryBudgetBytes: 100 * MB });
    await expect(pool.acquire(101 * MB)).rejects.toBeInstanceOf(SlotRequestTooLarge);
    expect(pool.waiting).toBe(0);
  });

  it('serves higher priority first, then arrival order', async () => {
    const pool = new SlotPool({ slots: 1, memoryBudgetBytes: 100 * MB });
    const first = await pool.acquire(MB);
    const order: string[] = [];
    const take = (name: string, prio: number) =>
      pool.acquire(MB, prio).then((l) => {
        order.push(name);
        l.release();
      });
    const all = [take('low1', 0), take('high', 2), take('low2', 0), take('mid', 1)];
    first.release();
    await Promise.all(all);
    expect(order).toEqual(['high', 'mid', 'low1', 'low2']);
  });

  it('puts a high task ahead of lower waiters however long they waited (deep prefetch)', async () => {
    let now = 0;
    const pool = new SlotPool({ slots: 1, memoryBudgetBytes: 100 * MB, maxBypassMs: 1000, now: () => now });
    const first = await pool.acquire(MB);
    const order: string[] = [];
    const take = (name: string, prio: number) =>
      pool.acquire(MB, prio).then((l) => {
        order.push(name);
        return l;
      });
    const normals = Array.from({ length: 5 }, (_, i) => take(`n${i}`, 1));
    now = 60_000; // the normal waiters have waited a minute, far beyond the bypass window
    const high = take('high', 2);
    first.release();
    (await high).release();
    for (const n of normals) (await n).release();
    expect(order).toEqual(['high', 'n0', 'n1', 'n2', 'n3', 'n4']);
  });

  it('passes over the longest-waiting task at most maxPassOvers grants in a row', async () => {
    const pool = new SlotPool({ slots: 1, memoryBudgetBytes: 100 * MB, maxPassOvers: 3 });
    const first = await pool.acquire(MB);
    const order: string[] = [];
    const take = (name: string, prio: number) =>
      pool.acquire(MB, prio).then((l) => {
        order.push(name);
        l.release();
      });
    const low = take('low', 0);
    const highs = Array.from({ length: 8 }, (_, i) => take(`h${i}`, 2));
    first.release();
    await Promise.all([low, ...highs]);
    // three grants pass the low task over; the fourth is its own
    expect(order).toEqual(['h0', 'h1', 'h2', 'low', 'h3', 'h4', 'h5', 'h6', 'h7']);
  });

  it('lets small tasks overtake a big one only within the bypass window', async () => {
    let now = 0;
    const pool = new SlotPool({ slots: 4, memoryBudgetBytes: 100 * MB, maxBypassMs: 1000, now: () => now });
    const hold = await pool.acquire(60 * MB);
    let bigGranted = false;
    void pool.acquire(80 * MB).then(() => {
      bigGranted = true;
    });
    let smallGranted = false;
    void pool.acquire(10 * MB).then((l) => {
      smallGranted = true;
      l.release();
    });
    await flush();
    expect(smallGranted).toBe(true); // overtook inside the window
    now = 2000;
    let lateGranted = false;
    const late = pool.acquire(10 * MB).then((l) => {
      lateGranted = true;
      return l;
    });
    await flush();
    expect(lateGranted).toBe(false); // the big one's window closed: nobody overtakes it
    hold.release();
    await flush();
    expect(bigGranted).toBe(true);
    expect(pool.memoryUsedBytes).toBeLessThanOrEqual(100 * MB);
    await flush();
    expect(lateGranted).toBe(true);
    (await late).release();
  });

  it('abort removes a waiter', async () => {
    const pool = new SlotPool({ slots: 1, memoryBudgetBytes: 100 * MB });
    const hold = await pool.acquire(MB);
    const ac = new AbortController();
    const p = pool.acquire(MB, 0, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(pool.waiting).toBe(0);
    hold.release();
    expect(pool.busySlots).toBe(0);
  });
});
