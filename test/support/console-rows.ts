import type { TaskEvent } from '../../src/domain/task-event.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import { NO_OUTPUT } from '../../src/domain/task-result.js';

/** A TaskResult with defaults, for console store tests. */
export function consoleResult(id: string, over: Partial<TaskResult> = {}): TaskResult {
  return {
    ...NO_OUTPUT,
    id,
    attempt: 1,
    status: 'SUCCEEDED',
    exitCode: 0,
    reason: null,
    stack: 'shell',
    stackImage: 'sha256:abc',
    codeName: null,
    codeRevision: null,
    codeDigest: null,
    workerId: 'w1',
    sourceTopic: 'b.tasks',
    sourcePartition: 0,
    sourceOffset: '1',
    queueWaitMs: 3,
    startLatencyMs: 20,
    runMs: 100,
    finishedAtMs: 1_700_000_000_000,
    labels: {},
    returnValue: null,
    ...over,
  };
}

/** An inline TaskEvent with defaults. */
export function consoleEvent(id: string, over: Partial<TaskEvent> = {}): TaskEvent {
  return {
    id,
    code: null,
    inline: { stack: 'shell', command: ['echo', 'hi'], env: {} },
    payload: new Uint8Array(0),
    priority: 1,
    timeoutMs: 30_000,
    maxAttempts: 1,
    attempt: 1,
    memoryBytes: null,
    network: null,
    labels: {},
    createdAtMs: 1_700_000_000_000 - 1000,
    ...over,
  };
}
