import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskResult } from '../../src/domain/task-result.js';
import { workerGroupId } from '../../src/kafka/topic-names.js';
import { defined } from '../support/defined.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/**
 * Delayed tasks and idempotent submit through real worker processes (the built CLI: run
 * `npm run build` first), the shared broker and engine, random topics. One tasks partition, so
 * every task shares a partition and its commit.
 */
const h = new WorkerHarness();
const [stack] = availableStacks(['shell', 'python-3.11', 'node-20']);
const children: ChildProcess[] = [];
/** Prints the epoch ms at which the task process started. */
const STAMP = ['bash', '-c', 'date +%s%3N'];

function spawnWorker(workerId: string): ChildProcess {
  const child = spawn(
    process.execPath,
    h.processWorkerArgv(workerId, {
      slots: '2',
      prefetch: '2',
      'warm-pool-size': '2',
      'retry-base-delay-ms': '500',
      'prewarm-stacks': `${stack}`,
    }),
    { stdio: ['ignore', 'ignore', process.env.BERTH_TEST_LOG ? 'inherit' : 'ignore'] },
  );
  children.push(child);
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** The committed offset of the tasks partition (group `<prefix>-workers`), -1 when none. */
async function committedTasksOffset(): Promise<number> {
  const admin = h.kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: workerGroupId(h.prefix), topics: [h.topics.tasks] });
    return Number(t?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
  } finally {
    await admin.disconnect();
  }
}

async function tasksEndOffset(): Promise<number> {
  const admin = h.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(h.topics.tasks);
    return Number(offsets.find((p) => p.partition === 0)?.high ?? -1);
  } finally {
    await admin.disconnect();
  }
}

function startedAtMs(r: TaskResult): number {
  return Number(Buffer.from(r.stdout).toString().trim());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let worker: ChildProcess;

beforeAll(async () => {
  if (!existsSync('dist/cli/main.js')) throw new Error('dist/cli/main.js missing: run npm run build first');
  if (stack === undefined) throw new Error('no stack image built (berth stacks build)');
  await h.setUp(1);
  worker = spawnWorker(`dl-a-${h.prefix}`);
  // Warm-up task: the worker runs (groups joined, containers warm) before timing anything.
  const warm = inlineEvent(`warm-${h.prefix}`, stack, STAMP);
  await h.send([{ event: warm }]);
  await h.until('the warm-up result', () => h.resultsFor(warm.id).length > 0, 120_000);
}, 180_000);

afterAll(async () => {
  for (const c of children) await kill9(c);
  await h.tearDown();
}, 120_000);

describe('delayed tasks', () => {
  it('start within 1 s of their time without blocking their partition: a later task of the same key finishes first and the commit moves past the delayed one', async () => {
    const runAtMs = Date.now() + 8_000;
    const delayed = inlineEvent(`delayed-${h.prefix}`, stack as string, STAMP, { runAtMs });
    const after = inlineEvent(`after-${h.prefix}`, stack as string, STAMP);
    const delayedOffset = await tasksEndOffset();
    await h.send([
      { key: 'same-key', event: delayed },
      { key: 'same-key', event: after },
    ]);
    await h.until('the later task of the same key', () => h.resultsFor(after.id).length > 0, 60_000);
    expect(h.resultsFor(delayed.id)).toHaveLength(0);
    expect(Date.now()).toBeLessThan(runAtMs); // both facts hold before the delayed task is due
    const committed = await pollCommitted(delayedOffset + 2, runAtMs - 500);
    expect(committed).toBeGreaterThanOrEqual(delayedOffset + 2);
    expect(Date.now()).toBeLessThan(runAtMs);
    // It waits on the retry topic, with its run-at time as the not-before header.
    const moved = defined(
      h.retries.find((r) => r.event.id === delayed.id),
      'the delayed task on the retry topic',
    );
    expect(moved.headers['berth-not-before-ms']).toBe(String(runAtMs));

    await h.until('the delayed task result', () => h.resultsFor(delayed.id).length > 0, 30_000);
    const [result] = h.resultsFor(delayed.id);
    const lateMs = startedAtMs(defined(result, 'the delayed result')) - runAtMs;
    console.log(`delayed task started ${lateMs} ms after its run-at time`);
    expect(result?.status).toBe('SUCCEEDED');
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(1000);
  }, 90_000);

  it('survive a kill -9 of the worker and a restart', async () => {
    const runAtMs = Date.now() + 10_000;
    const delayed = inlineEvent(`survivor-${h.prefix}`, stack as string, STAMP, { runAtMs });
    await h.send([{ event: delayed }]);
    await h.until(
      'the task moved to the retry topic',
      () => h.retries.some((r) => r.event.id === delayed.id),
      30_000,
    );
    await sleep(500); // let the source commit happen (it is what a restart must not undo)
    await kill9(worker);
    worker = spawnWorker(`dl-b-${h.prefix}`);
    await h.until(
      'the delayed task result after the restart',
      () => h.resultsFor(delayed.id).length > 0,
      90_000,
    );
    const [result] = h.resultsFor(delayed.id);
    expect(result?.status).toBe('SUCCEEDED');
    const startedMs = startedAtMs(defined(result, 'the survivor result'));
    console.log(`delayed task started ${startedMs - runAtMs} ms after its run-at time (after a restart)`);
    expect(startedMs).toBeGreaterThanOrEqual(runAtMs);
    await sleep(2_000);
    expect(h.resultsFor(delayed.id)).toHaveLength(1);
  }, 150_000);
});

describe('idempotent submit', () => {
  it('one id submitted twice (other ordering keys, and again after it finished) runs once', async () => {
    const id = `once-${h.prefix}`;
    await h.send([
      { key: 'key-a', event: inlineEvent(id, stack as string, STAMP) },
      { key: 'key-b', event: inlineEvent(id, stack as string, STAMP) },
    ]);
    await h.until('the result', () => h.resultsFor(id).length > 0, 60_000);
    await h.send([{ key: 'key-c', event: inlineEvent(id, stack as string, STAMP) }]);
    const end = await tasksEndOffset();
    const committed = await pollCommitted(end, Date.now() + 30_000);
    expect(committed).toBe(end); // every duplicate reached a committed end
    await sleep(1_000);
    expect(h.resultsFor(id)).toHaveLength(1);
  }, 90_000);

  it('a retry of a remembered id still runs (attempt 2)', async () => {
    const id = `retried-${h.prefix}`;
    await h.send([{ event: inlineEvent(id, stack as string, ['bash', '-c', 'exit 3'], { maxAttempts: 2 }) }]);
    await h.until('the final result', () => h.resultsFor(id).length > 0, 60_000);
    expect(h.resultsFor(id)).toMatchObject([{ attempt: 2, status: 'FAILED' }]);
  }, 90_000);

  it('after a worker restart the memory is rebuilt from berth.results: a resubmit does not run', async () => {
    const id = `once-${h.prefix}`;
    expect(h.resultsFor(id)).toHaveLength(1);
    await kill9(worker);
    worker = spawnWorker(`dl-c-${h.prefix}`);
    const fresh = inlineEvent(`fresh-${h.prefix}`, stack as string, STAMP);
    await h.send([{ key: 'key-d', event: inlineEvent(id, stack as string, STAMP) }, { event: fresh }]);
    await h.until('the task sent after the duplicate', () => h.resultsFor(fresh.id).length > 0, 90_000);
    const end = await tasksEndOffset();
    expect(await pollCommitted(end, Date.now() + 30_000)).toBe(end);
    await sleep(1_000);
    expect(h.resultsFor(id)).toHaveLength(1);
  }, 150_000);
});

/** Polls the committed offset until it reaches `atLeast` or `deadlineMs` passes; returns the last. */
async function pollCommitted(atLeast: number, deadlineMs: number): Promise<number> {
  for (;;) {
    const committed = await committedTasksOffset();
    if (committed >= atLeast || Date.now() > deadlineMs) return committed;
    await sleep(200);
  }
}
