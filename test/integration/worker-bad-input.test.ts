import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADERS } from '../../src/kafka/topic-names.js';
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
});
