import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlCodec } from '../../src/codecs/control-codec.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/**
 * Cancels on berth.control: a running task is aborted, a task whose cancel came first is skipped,
 * also when the cancel was published before the worker started.
 */
const h = new WorkerHarness();
const [stack] = availableStacks(['shell', 'python-3.11', 'node-20', 'ruby-3.3']);

function cancel(taskId: string): Buffer {
  return controlCodec.encode({
    taskId,
    action: 'CANCEL',
    reason: 'test says stop',
    requestedAtMs: Date.now(),
  });
}

beforeAll(async () => {
  await h.setUp(2);
  await h.sendRaw(h.topics.control, 'before-join', cancel('before-join'));
  await h.startWorker({ slots: '2', prefetch: '2', prewarmStacks: String(stack) });
  await new Promise((r) => setTimeout(r, 4000)); // the control follower starts at the topic's end
}, 60_000);

afterAll(() => h.tearDown());

describe('cancel', () => {
  it('honours a cancel published before the worker started', async () => {
    await h.send([
      { event: inlineEvent('before-join', stack as string, ['bash', '-c', 'echo should-not-run']) },
    ]);
    await h.until('before-join result', () => h.resultsFor('before-join').length > 0, 30_000);
    expect(h.resultsFor('before-join')[0]).toMatchObject({
      status: 'CANCELLED',
      runMs: 0,
      reason: expect.stringContaining('test says stop'),
    });
  }, 60_000);

  it('aborts a running task and skips a task cancelled before it arrived', async () => {
    await h.sendRaw(h.topics.control, 'early-bird', cancel('early-bird'));
    await new Promise((r) => setTimeout(r, 1500));
    await h.send([
      { event: inlineEvent('long-runner', stack as string, ['bash', '-c', 'sleep 60']) },
      { event: inlineEvent('early-bird', stack as string, ['bash', '-c', 'echo should-not-run']) },
    ]);
    await h.until('early-bird result', () => h.resultsFor('early-bird').length > 0, 30_000);
    expect(h.resultsFor('early-bird')[0]).toMatchObject({ status: 'CANCELLED', runMs: 0 });
    await new Promise((r) => setTimeout(r, 3000)); // long-runner is running by now
    expect(h.resultsFor('long-runner')).toEqual([]);
    const t0 = Date.now();
    await h.sendRaw(h.topics.control, 'long-runner', cancel('long-runner'));
    await h.until('long-runner result', () => h.resultsFor('long-runner').length > 0, 30_000);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(h.resultsFor('long-runner')[0]?.status).toBe('CANCELLED');
  }, 90_000);
});
