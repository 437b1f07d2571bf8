import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADERS, workerGroupId } from '../../src/kafka/topic-names.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/** Bad input never stops a worker: it is dead-lettered or rejected and the next task runs. */
const h = new WorkerHarness();
const [stack] = availableStacks(['shell', 'python-3.11', 'node-20', 'ruby-3.3']);

beforeAll(async () => {
  await h.setUp(2);
  await h.startWorker({ slots: '2', prefetch: '1', prewarmStacks: String(stack) });
});

afterAll(() => h.tearDown());

describe('berth worker with bad input', () => {
  it('dead-letters garbage and an oversized event with reason headers, rejects an unknown stack, carries on', async () => {
    const garbage = Buffer.from('definitely not avro \u0000\u0001\u0002');
    const oversized = inlineEvent('too-big', stack as string, ['true'], {
      payload: Buffer.alloc(100 * 1024, 7),
    });
    await h.send([
      { key: 'garbage-key', raw: garbage, partition: 0 },
      { event: oversized, partition: 0 },
      { event: inlineEvent('no-such-stack', 'cobol-85', ['run']), partition: 0 },
      { event: inlineEvent('after-bad', stack as string, ['bash', '-c', 'echo alive']), partition: 0 },
    ]);
    await h.until('dead letters and results', () => h.dlq.length >= 2 && h.results.length >= 2, 60_000);

    const g = h.dlq.find((d) => d.key?.toString() === 'garbage-key');
    expect(g?.value?.equals(garbage)).toBe(true);
    expect(g?.headers[HEADERS.dlqReason]).toMatch(/^undecodable/);
    expect(g?.headers[HEADERS.dlqSourceTopic]).toBe(h.topics.tasks);
    expect(g?.headers[HEADERS.dlqSourcePartition]).toBe('0');
    expect(g?.headers[HEADERS.dlqSourceOffset]).toMatch(/^\d+$/);
    expect(g?.headers[HEADERS.dlqWorker]).toMatch(/^w-/);

    const big = h.dlq.find((d) => d.key?.toString() === 'too-big');
    expect(big?.headers[HEADERS.dlqReason]).toMatch(/^too_large/);
    expect(big?.value?.length).toBeGreaterThan(100 * 1024);

    const [rejected] = h.resultsFor('no-such-stack');
    expect(rejected?.status).toBe('REJECTED');
    expect(rejected?.reason).toMatch(/unknown stack 'cobol-85'/);

    const [alive] = h.resultsFor('after-bad');
    expect(alive?.status).toBe('SUCCEEDED');
    expect(
      Buffer.from(alive?.stdout ?? [])
        .toString()
        .trim(),
    ).toBe('alive');
    expect(h.resultsFor('too-big')).toEqual([]);
  }, 90_000);

  it('a TIMED_OUT task with maxAttempts 2 goes through berth.retry and ends with a final result', async () => {
    const ev = inlineEvent('slowpoke', stack as string, ['bash', '-c', 'sleep 30'], {
      timeoutMs: 1000,
      maxAttempts: 2,
    });
    await h.send([{ event: ev, partition: 1 }]);
    await h.until('final result of slowpoke', () => h.resultsFor('slowpoke').length >= 1, 60_000);
    const retry = h.retries.find((r) => r.event.id === 'slowpoke');
    expect(retry?.event.attempt).toBe(2);
    expect(Number(retry?.headers[HEADERS.notBefore])).toBeGreaterThan(0);
    const results = h.resultsFor('slowpoke');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'TIMED_OUT', attempt: 2, sourceTopic: h.topics.retry });
    const dead = h.dlq.find((d) => d.key?.toString() === 'slowpoke');
    expect(dead?.headers[HEADERS.dlqReason]).toMatch(/^retries_exhausted/);
    expect(dead?.headers[HEADERS.dlqSourceTopic]).toBe(h.topics.retry);
  }, 90_000);

  it('a 10 MiB record reaches the DLQ cut to fit (size and sha256 in headers) and the committed offset passes it', async () => {
    const huge = Buffer.alloc(10_485_600, 3);
    const after = Array.from({ length: 20 }, (_, i) =>
      inlineEvent(`after-huge-${i}`, stack as string, ['true'], { payload: Buffer.from(String(i)) }),
    );
    await h.send([{ key: 'huge', raw: huge, partition: 1 }]); // alone: it fills a request by itself
    await h.send(after.map((event) => ({ event, partition: 1 })));
    await h.until(
      'the huge record dead-lettered and the 20 later tasks finished',
      () =>
        h.dlq.some((d) => d.key?.toString() === 'huge') && after.every((e) => h.resultsFor(e.id).length > 0),
      120_000,
    );
    const dead = h.dlq.find((d) => d.key?.toString() === 'huge');
    expect(dead?.headers[HEADERS.dlqReason]).toMatch(/^too_large/);
    expect(dead?.headers[HEADERS.dlqOriginalBytes]).toBe(String(huge.byteLength));
    expect(dead?.headers[HEADERS.dlqOriginalSha256]).toBe(createHash('sha256').update(huge).digest('hex'));
    expect(dead?.headers[HEADERS.dlqTruncated]).toBe('true');
    expect(dead?.value?.length).toBeLessThan(huge.byteLength);
    expect(after.every((e) => h.resultsFor(e.id).length === 1)).toBe(true);
    // The committed offset of partition 1 reaches its end: nothing is held back by the record.
    const admin = h.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(h.topics.tasks);
      const end = ends.find((o) => o.partition === 1)?.high;
      let committed = '';
      for (let i = 0; i < 60 && committed !== end; i++) {
        const [offsets] = await admin.fetchOffsets({
          groupId: workerGroupId(h.prefix),
          topics: [h.topics.tasks],
        });
        committed = offsets?.partitions.find((p) => p.partition === 1)?.offset ?? '';
        if (committed !== end) await new Promise((r) => setTimeout(r, 500));
      }
      expect(committed).toBe(end);
    } finally {
      await admin.disconnect();
    }
  }, 180_000);
});
