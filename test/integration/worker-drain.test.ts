import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerGroupId } from '../../src/kafka/topic-names.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/**
 * Graceful stop: running tasks get the drain deadline; one still running after it is killed
 * without a result and without committing its offset, so the next worker runs it again.
 */
const h = new WorkerHarness();
const [stack] = availableStacks(['shell', 'python-3.11', 'node-20', 'ruby-3.3']);

beforeAll(() => h.setUp(1), 60_000);
afterAll(() => h.tearDown());

async function committedOffset(): Promise<string | undefined> {
  const admin = h.kafka.admin();
  await admin.connect();
  const [offsets] = await admin.fetchOffsets({ groupId: workerGroupId(h.prefix), topics: [h.topics.tasks] });
  await admin.disconnect();
  return offsets?.partitions.find((p) => p.partition === 0)?.offset;
}

describe('drain', () => {
  it('finishes quick tasks, kills the slow one at the deadline without committing it', async () => {
    const first = await h.startWorker({
      slots: '2',
      prefetch: '0',
      drainDeadlineMs: '2000',
      prewarmStacks: String(stack),
    });
    await h.send([
      { event: inlineEvent('drain-quick', stack as string, ['bash', '-c', 'echo quick']) },
      { event: inlineEvent('drain-slow', stack as string, ['bash', '-c', 'sleep 25; echo slow']) },
    ]);
    await h.until('quick result', () => h.resultsFor('drain-quick').length > 0, 60_000);
    await new Promise((r) => setTimeout(r, 2000)); // the slow one is running now
    expect(first.snapshot().slotsBusy).toBe(1);
    const t0 = Date.now();
    await first.close();
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(first.state).toBe('STOPPED');
    expect(h.resultsFor('drain-slow')).toEqual([]);
    expect(await committedOffset()).toBe('1'); // quick (offset 0) committed, slow (offset 1) not

    await h.startWorker({ slots: '1', prefetch: '0', prewarmStacks: String(stack) });
    await h.until('slow task re-run by the next worker', () => h.resultsFor('drain-slow').length > 0, 90_000);
    expect(h.resultsFor('drain-slow')[0]?.status).toBe('SUCCEEDED');
    expect(h.resultsFor('drain-quick')).toHaveLength(1);
  }, 180_000);
});
