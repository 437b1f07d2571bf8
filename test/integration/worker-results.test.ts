import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/**
 * End to end on the real broker and engine: tasks over 6 partitions and 4 stacks all come back as
 * results with the right outputs; same-key tasks finish in offset order while other keys overtake.
 */
const h = new WorkerHarness();
const TASKS = Number(process.env.BERTH_TEST_TASKS ?? 300);
const stacks = availableStacks([
  'shell',
  'python-3.11',
  'node-20',
  'ruby-3.3',
  'ruby-3.1',
  'php-8.2',
  'python-3.13',
]).slice(0, 4);
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

beforeAll(async () => {
  await h.setUp(6);
  await h.startWorker({ slots: '2', prefetch: '2', warmPoolSize: '1', prewarmStacks: stacks.join(',') });
});

afterAll(() => h.tearDown());

describe('berth worker', () => {
  it(`runs ${TASKS} tasks over 6 partitions and ${stacks.length} stacks, one correct result each`, async () => {
    expect(stacks.length).toBe(4);
    const events = Array.from({ length: TASKS }, (_, i) =>
      inlineEvent(
        `job-${i}`,
        stacks[i % stacks.length] as string,
        ['bash', '-c', 'echo $(( $(cat "$PAYLOAD_FILE") * 2 ))'],
        {
          payload: Buffer.from(String(i)),
        },
      ),
    );
    await h.send(events.map((event) => ({ event })));
    await h.until(
      `${TASKS} results`,
      () => new Set(h.results.map((r) => r.result.id)).size >= TASKS,
      170_000,
    );
    for (let i = 0; i < TASKS; i++) {
      const [r] = h.resultsFor(`job-${i}`);
      expect(r?.status, `job-${i}: ${r?.reason} ${text(r?.stderr ?? new Uint8Array())}`).toBe('SUCCEEDED');
      expect(text(r?.stdout ?? new Uint8Array()).trim()).toBe(String(i * 2));
      expect(r?.stack).toBe(stacks[i % stacks.length]);
      expect(r?.stackImage).toMatch(/^sha256:/);
    }
    const partitions = new Set(h.results.map((r) => r.result.sourcePartition));
    if (TASKS >= 60) expect(partitions.size).toBe(6);
    expect(h.results.length).toBe(TASKS); // no duplicates in a clean run
  }, 180_000);

  it('same-key tasks finish in offset order while other keys overtake', async () => {
    const stack = stacks[0] as string;
    const slow = inlineEvent('order-slow-0', stack, ['bash', '-c', 'sleep 6; echo done']);
    const sameKey = [
      slow,
      ...[1, 2, 3].map((i) => inlineEvent(`order-same-${i}`, stack, ['bash', '-c', 'echo fast'])),
    ];
    const others = [1, 2].map((i) => inlineEvent(`order-other-${i}`, stack, ['bash', '-c', 'echo other']));
    const before = h.results.length;
    // One partition, so ordering is decided by the worker's key queues, not by partitioning.
    // Interleaved, so the other keys fit in the bounded buffer (slots + prefetch) behind the slow one.
    const same = sameKey.map((event) => ({ key: 'account-42', event, partition: 0 }));
    const other = others.map((event, i) => ({ key: `account-${i}`, event, partition: 0 }));
    await h.send(
      [same[0], same[1], other[0], same[2], other[1], same[3]].map((x) => x as (typeof same)[number]),
    );
    await h.until('ordering results', () => h.results.length >= before + 6, 60_000);
    const order = h.results.slice(before).map((r) => r.result.id);
    const sameOrder = order.filter((id) => id.startsWith('order-same') || id === 'order-slow-0');
    expect(sameOrder).toEqual(['order-slow-0', 'order-same-1', 'order-same-2', 'order-same-3']);
    expect(order.indexOf('order-other-1')).toBeLessThan(order.indexOf('order-slow-0'));
    expect(order.indexOf('order-other-2')).toBeLessThan(order.indexOf('order-slow-0'));
  }, 90_000);
});
