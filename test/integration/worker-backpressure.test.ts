import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerGroupId } from '../../src/kafka/topic-names.js';
import type { Worker } from '../../src/worker/worker.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/**
 * A backlog far beyond the worker's slots: the worker holds at most slots + prefetch tasks,
 * buffers at most the intake buffer's bytes of fetched records per partition and pauses the
 * partitions whose buffer is full, keeps its memory flat, and commits only finished work.
 */
const h = new WorkerHarness();
const [stack] = availableStacks(['shell', 'python-3.11', 'node-20', 'ruby-3.3']);
const BACKLOG = 10_000;
const SLOTS = 2;
const PREFETCH = 2;
let worker: Worker;

beforeAll(async () => {
  await h.setUp(6);
  const events = Array.from({ length: BACKLOG }, (_, i) =>
    inlineEvent(`bp-${i}`, stack as string, ['bash', '-c', 'sleep 0.3; echo ok'], {
      payload: Buffer.from(String(i)),
    }),
  );
  await h.send(events.map((event) => ({ event })));
  worker = await h.startWorker({
    slots: String(SLOTS),
    prefetch: String(PREFETCH),
    // The smallest buffer: a partition's ~1,700 records (~500 KB) cannot all wait in it.
    intakeBufferBytes: String(16 * 1024),
    prewarmStacks: String(stack),
  });
}, 120_000);

afterAll(() => h.tearDown());

describe('backpressure', () => {
  it('holds at most slots + prefetch tasks, pauses partitions, keeps RSS flat', async () => {
    let maxBuffered = 0;
    let pausedSeen = 0;
    let maxBusy = 0;
    const rss: number[] = [];
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline) {
      const s = worker.snapshot();
      maxBuffered = Math.max(maxBuffered, s.bufferedTasks);
      maxBusy = Math.max(maxBusy, s.slotsBusy);
      if (s.partitions.some((p) => p.paused)) pausedSeen++;
      rss.push(process.memoryUsage().rss);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(SLOTS + PREFETCH);
    expect(maxBusy).toBeLessThanOrEqual(SLOTS);
    expect(pausedSeen).toBeGreaterThan(10);
    // Memory: compare the first and last quarter after warm-up; a buffered backlog would grow it.
    const q = Math.floor(rss.length / 4);
    const early = Math.max(...rss.slice(q, 2 * q));
    const late = Math.max(...rss.slice(3 * q));
    expect(late - early).toBeLessThan(48 * 1024 * 1024);
    console.log(
      `backpressure: max buffered ${maxBuffered}, paused samples ${pausedSeen}/${rss.length}, RSS growth ${((late - early) / 2 ** 20).toFixed(1)} MiB`,
    );

    await worker.close();
    // What the worker published about itself on the metrics topic.
    await h.until('final STOPPED stats', () => h.stats.some((s) => s.state === 'STOPPED'), 10_000);
    const running = h.stats.filter((s) => s.state === 'RUNNING');
    expect(running.length).toBeGreaterThan(10);
    expect(running.every((s) => s.bufferedTasks <= SLOTS + PREFETCH && s.slotsTotal === SLOTS)).toBe(true);
    expect(running.some((s) => s.partitions.some((p) => p.paused))).toBe(true);
    expect(Math.max(...running.flatMap((s) => s.partitions.map((p) => p.lag)))).toBeGreaterThan(1000);
    expect(h.stats.some((s) => s.state === 'DRAINING')).toBe(true);
    const done = new Set(h.results.map((r) => r.result.id));
    expect(done.size).toBeGreaterThan(10);
    expect(done.size).toBeLessThan(BACKLOG / 2);
    // Commits never run ahead of finished work, and a graceful stop commits what finished.
    const admin = h.kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({
      groupId: workerGroupId(h.prefix),
      topics: [h.topics.tasks],
    });
    await admin.disconnect();
    const committed = (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    expect(committed).toBeLessThanOrEqual(done.size);
    expect(done.size - committed).toBeLessThanOrEqual(SLOTS + PREFETCH);
  }, 120_000);
});
