import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/**
 * kill -9 of a worker process mid-run, then a restart: every task ends with at least one result,
 * duplicates stay within the in-flight window, and the reaper removes the dead worker's containers.
 * Runs the built CLI (`npm run build` first).
 */
const h = new WorkerHarness();
const [stack] = availableStacks(['shell', 'python-3.11', 'node-20', 'ruby-3.3']);
const TASKS = 60;
const SLOTS = 2;
const PREFETCH = 2;
const children: ChildProcess[] = [];

function spawnWorker(workerId: string): ChildProcess {
  const child = spawn(
    process.execPath,
    h.processWorkerArgv(workerId, {
      slots: String(SLOTS),
      prefetch: String(PREFETCH),
      'reaper-interval-ms': '2000',
      'prewarm-stacks': `${stack}`,
    }),
    { stdio: ['ignore', 'ignore', process.env.BERTH_TEST_LOG ? 'inherit' : 'ignore'] },
  );
  children.push(child);
  return child;
}

function containersOf(workerId: string): string[] {
  const out = execFileSync('docker', ['ps', '-aq', '--filter', `label=berth.worker=${workerId}`])
    .toString()
    .trim();
  return out === '' ? [] : out.split('\n');
}

beforeAll(async () => {
  if (!existsSync('dist/cli/main.js')) throw new Error('dist/cli/main.js missing: run npm run build first');
  await h.setUp(3);
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await h.tearDown();
});

describe('crash and restart', () => {
  it('kill -9 mid-run loses nothing, bounds duplicates, and leaves no orphan container', async () => {
    const events = Array.from({ length: TASKS }, (_, i) =>
      inlineEvent(`crash-${i}`, stack as string, ['bash', '-c', `sleep 0.5; echo ${i}`]),
    );
    await h.send(events.map((event) => ({ event })));
    const first = spawnWorker(`crash-a-${h.prefix}`);
    await h.until('some results before the crash', () => h.results.length >= 10, 90_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // The killed worker left containers behind (its warm pool, its running tasks).
    expect(containersOf(`crash-a-${h.prefix}`).length).toBeGreaterThan(0);
    const beforeRestart = h.results.length;
    expect(beforeRestart).toBeLessThan(TASKS);

    const second = spawnWorker(`crash-b-${h.prefix}`);
    const ids = events.map((e) => e.id);
    await h.until('every task has a result', () => ids.every((id) => h.resultsFor(id).length > 0), 150_000);
    for (const id of ids) expect(h.resultsFor(id)[0]?.status).toBe('SUCCEEDED');
    const duplicates = h.results.length - new Set(h.results.map((r) => r.result.id)).size;
    expect(duplicates).toBeLessThanOrEqual(SLOTS + PREFETCH);

    // The first worker went silent: after a few stats intervals its containers are reaped.
    await h.until(
      'orphans of the killed worker reaped',
      () => containersOf(`crash-a-${h.prefix}`).length === 0,
      30_000,
    );

    second.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => second.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(containersOf(`crash-b-${h.prefix}`).filter((id) => id.length > 0)).toEqual([]);
  }, 300_000);
});
