import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeEngine } from '../../src/containers/dockerode-engine.js';
import { executorOptions } from '../../src/containers/executor-options.js';
import { HotExecutor } from '../../src/containers/hot-executor.js';
import type { ExecutionOutcome, HotIsolation } from '../../src/domain/executor-port.js';
import { executionRequest, localImageId, removeLeftovers, testRun } from '../support/executor-fixture.js';

/**
 * HOT process mode on the real engine: what one task leaves in /task (next to code/, out/ and the
 * payload) and in /dev/shm must be gone before the next task of the same container runs.
 * Needs `berth/base-bookworm:current` (bash, coreutils, the launcher).
 */
const IMAGE = 'berth/base-bookworm:current';
const MIB = 1024 * 1024;
const { run, labels } = testRun();
const engine = new DockerodeEngine();
const options = executorOptions({
  workerId: `test-${run}`,
  defaultLimits: { memoryBytes: 128 * MIB, nanoCpus: 500_000_000, pidsLimit: 64 },
  backstopGraceMs: 3000,
  extraLabels: labels,
});
const hot: HotIsolation = { packageKey: `leak-${run}@1#d`, packageName: `leak-${run}`, maxContainers: 1 };
const never = new AbortController().signal;
let executor: HotExecutor;
let imageId: string;

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function runTask(taskId: string, script: string): Promise<ExecutionOutcome> {
  const request = executionRequest(
    { taskId, stack: 'base-bookworm', imageId, command: ['bash', '-c', script] },
    options.defaultLimits,
    { timeoutMs: 10_000 },
  );
  return executor.execute(request, hot, never);
}

beforeAll(() => {
  imageId = localImageId(IMAGE);
  executor = new HotExecutor(engine, { ...options, idleMs: 60_000 });
});

afterAll(async () => {
  await executor.close();
  expect(await removeLeftovers(engine, labels)).toEqual([]);
});

describe('HOT process mode between two tasks of one container', () => {
  it('leaves nothing of /task/leak.txt or /dev/shm/leak.txt to the next task', async () => {
    const first = await runTask(
      'leaker',
      [
        'cat /etc/hostname',
        'echo secret > /task/leak.txt',
        'mkdir -p /task/hidden/deep && echo secret > /task/hidden/deep/f && chmod 500 /task/hidden/deep',
        'echo secret > /dev/shm/leak.txt',
        'ls -A /task /dev/shm',
      ].join('; '),
    );
    expect(first.status, text(first.stderr)).toBe('SUCCEEDED');
    const [firstHost, ...firstLs] = text(first.stdout).trim().split('\n');
    expect(firstLs.join(' ')).toContain('leak.txt'); // the leak existed: the task could write both

    const second = await runTask(
      'looker',
      'cat /etc/hostname; echo "task: $(ls -A /task | tr "\\n" " ")"; echo "shm: $(ls -A /dev/shm | tr "\\n" " ")"',
    );
    expect(second.status, text(second.stderr)).toBe('SUCCEEDED');
    const [secondHost, taskLine, shmLine] = text(second.stdout)
      .split('\n')
      .map((line) => line.trim());
    expect(secondHost).toBe(firstHost); // the same container served both tasks
    expect(taskLine).toBe('task: code out payload');
    expect(shmLine).toBe('shm:');
  });
});
