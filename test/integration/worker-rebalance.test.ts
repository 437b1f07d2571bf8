import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerGroupId } from '../../src/kafka/topic-names.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/**
 * Partitions move between live workers (a second worker joins, the first drains away): no task
 * is lost, duplicates stay within the in-flight windows, and the final committed offsets cover
 * every task.
 */
const h = new WorkerHarness();
const [stack] = availableStacks(['shell', 'python-3.11', 'node-20', 'ruby-3.3']);
const TASKS = 80;

beforeAll(() => h.setUp(4), 60_000);
afterAll(() => h.tearDown());

describe('rebalance', () => {
  it('loses nothing while partitions move between workers', async () => {
    const events = Array.from({ length: TASKS }, (_, i) =>
      inlineEvent(`rb-${i}`, stack as string, ['bash', '-c', `sleep 0.2; echo ${i}`]),
    );
    await h.send(events.map((event) => ({ event })));
    const a = await h.startWorker({ slots: '2', prefetch: '2', prewarmStacks: String(stack) });
    await h.until('first results', () => h.results.length >= 10, 90_000);
    const b = await h.startWorker({ slots: '2', prefetch: '2', prewarmStacks: String(stack) });
    await h.until(
      'second worker owns partitions',
      () => b.snapshot().partitions.some((p) => p.topic === h.topics.tasks),
      60_000,
    );
    await h.until('more results', () => h.results.length >= 30, 90_000);
    await a.close();
    await h.until(
      'every task has a result',
      () => events.every((e) => h.resultsFor(e.id).length > 0),
      150_000,
    );
    const workers = new Set(h.results.map((r) => r.result.workerId));
    expect(workers.size).toBe(2);
    const duplicates = h.results.length - new Set(h.results.map((r) => r.result.id)).size;
    expect(duplicates).toBeLessThanOrEqual(2 * (2 + 2));
    await b.close();
    const admin = h.kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({
      groupId: workerGroupId(h.prefix),
      topics: [h.topics.tasks],
    });
    const high = await admin.fetchTopicOffsets(h.topics.tasks);
    await admin.disconnect();
    const committed = new Map((offsets?.partitions ?? []).map((p) => [p.partition, p.offset]));
    for (const p of high) expect(committed.get(p.partition), `partition ${p.partition}`).toBe(p.high);
  }, 300_000);
});
