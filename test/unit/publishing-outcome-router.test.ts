import { describe, expect, it } from 'vitest';
import type { ExecutionOutcome } from '../../src/domain/executor-port.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import { retryDelayMs, routeOutcome } from '../../src/publishing/outcome-router.js';
import { taskEvent } from '../support/task-event.js';

const event: TaskEvent = taskEvent({ id: 't1', priority: 0, maxAttempts: 3 });

function outcome(status: ExecutionOutcome['status']): ExecutionOutcome {
  return {
    status,
    exitCode: status === 'SUCCEEDED' ? 0 : 1,
    reason: null,
    stdout: new Uint8Array(),
    stdoutTruncated: false,
    stderr: new Uint8Array(),
    stderrTruncated: false,
    outputs: [],
    outputsTruncated: false,
    startedAtMs: 1,
    finishedAtMs: 2,
  };
}

const policy = { maxAttempts: 3, retryDelayMs: 1000, retryMaxDelayMs: 60_000 };

describe('routeOutcome', () => {
  it('success and cancel end in a result', () => {
    expect(routeOutcome(event, outcome('SUCCEEDED'), policy, 0).kind).toBe('result');
    expect(routeOutcome(event, outcome('CANCELLED'), policy, 0).kind).toBe('result');
  });

  it.each(['FAILED', 'TIMED_OUT', 'KILLED'] as const)(
    '%s with attempts left goes to retry with attempt+1',
    (status) => {
      const r = routeOutcome(event, outcome(status), policy, 10_000, () => 0.5);
      expect(r.kind).toBe('retry');
      if (r.kind !== 'retry') return;
      expect(r.next.attempt).toBe(2);
      expect(r.next.id).toBe('t1');
      expect(r.notBeforeMs).toBe(10_750);
    },
  );

  it('last attempt of a retriable task is exhausted (dead letter + final result)', () => {
    const r = routeOutcome({ ...event, attempt: 3 }, outcome('TIMED_OUT'), policy, 0);
    expect(r.kind).toBe('exhausted');
    if (r.kind === 'exhausted') expect(r.reason).toMatch(/^retries_exhausted/);
  });

  it('a single-attempt task ends in its result', () => {
    expect(routeOutcome(event, outcome('FAILED'), { ...policy, maxAttempts: 1 }, 0).kind).toBe('result');
  });
});

describe('retryDelayMs', () => {
  it('grows exponentially, stays within [d/2, d] and the cap', () => {
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, 60_000, () => 1)).toBe(4000);
    expect(retryDelayMs(20, 1000, 60_000, () => 1)).toBe(60_000);
  });
});
