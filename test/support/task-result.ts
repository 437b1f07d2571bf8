import type { TaskResult } from '../../src/domain/task-result.js';

/**
 * A TaskResult as a worker would publish it for a shell task, for tests that put results on a
 * topic themselves: exit code 0 when SUCCEEDED, 1 otherwise; `overrides` replace any field.
 */
export function taskResultFixture(
  id: string,
  status: TaskResult['status'],
  overrides: Partial<TaskResult> = {},
): TaskResult {
  return {
    id,
    attempt: 1,
    status,
    exitCode: status === 'SUCCEEDED' ? 0 : 1,
    reason: null,
    stdout: Buffer.alloc(0),
    stdoutTruncated: false,
    stderr: Buffer.alloc(0),
    stderrTruncated: false,
    outputs: [],
    outputsTruncated: false,
    stack: 'shell',
    stackImage: null,
    codeName: null,
    codeRevision: null,
    codeDigest: null,
    workerId: 'w-fake',
    sourceTopic: 'tasks',
    sourcePartition: 0,
    sourceOffset: '0',
    queueWaitMs: 1,
    startLatencyMs: 2,
    runMs: 3,
    finishedAtMs: Date.now(),
    labels: {},
    ...overrides,
  };
}
