import { describe, expect, it } from 'vitest';
import { checkReturnsPayload } from '../../src/bench/bench-packages.js';
import { ResultTally, tallyVerdict } from '../../src/bench/result-tally.js';
import { NO_OUTPUT, type TaskResult, type TaskStatus } from '../../src/domain/task-result.js';

function result(
  id: string,
  status: TaskStatus,
  value: string | null,
  reason: string | null = null,
): TaskResult {
  return {
    ...NO_OUTPUT,
    id,
    attempt: 1,
    status,
    exitCode: null,
    reason,
    stack: 'node-20',
    stackImage: null,
    codeName: 'p',
    codeRevision: 1,
    codeDigest: null,
    workerId: 'w',
    sourceTopic: 't',
    sourcePartition: 0,
    sourceOffset: '0',
    queueWaitMs: 0,
    startLatencyMs: 0,
    runMs: 0,
    finishedAtMs: 0,
    labels: {},
    returnValue: value === null ? null : { kind: 'BYTES', data: Buffer.from(value) },
  };
}

const bytes = (s: string) => Buffer.from(s);

describe('ResultTally', () => {
  it('counts a clean run as correct, with first and last arrival', () => {
    const t = new ResultTally(checkReturnsPayload);
    t.expect('a', bytes('1'));
    t.expect('b', bytes('2'));
    expect(t.knows('a')).toBe(true);
    expect(t.complete).toBe(false);
    t.record(result('a', 'SUCCEEDED', '1'), 10);
    t.record(result('b', 'SUCCEEDED', '2'), 30);
    expect(t.complete).toBe(true);
    const s = t.summary();
    expect(s).toMatchObject({
      expected: 2,
      answered: 2,
      succeeded: 2,
      correct: 2,
      duplicates: 0,
      unknown: 0,
    });
    expect(s.statuses).toEqual({ SUCCEEDED: 2 });
    expect([s.firstArrivalMs, s.lastArrivalMs]).toEqual([10, 30]);
    expect(tallyVerdict(s)).toBeNull();
  });

  it('gives percentiles of the legs of answered tasks from their timings and arrival', () => {
    const t = new ResultTally(checkReturnsPayload);
    expect(t.summary().legs).toBeNull();
    for (let i = 1; i <= 100; i++) {
      const id = `t${i}`;
      t.expect(id, bytes(id));
      const r = {
        ...result(id, 'SUCCEEDED', id),
        queueWaitMs: i,
        startLatencyMs: 2 * i,
        runMs: 3,
        finishedAtMs: 1000,
      };
      t.record(r, 1000 + 10 * i);
    }
    // A duplicate does not count again.
    t.record({ ...result('t1', 'SUCCEEDED', 't1'), queueWaitMs: 9999 }, 5000);
    const legs = t.summary().legs;
    expect(legs).toEqual({
      toGrant: { p50Ms: 50, p99Ms: 99 },
      dispatch: { p50Ms: 100, p99Ms: 198 },
      run: { p50Ms: 3, p99Ms: 3 },
      toArrival: { p50Ms: 500, p99Ms: 990 },
    });
  });

  it('tells duplicates and unknown ids apart and counts only the first result of a task', () => {
    const t = new ResultTally(checkReturnsPayload);
    t.expect('a', bytes('1'));
    t.record(result('a', 'SUCCEEDED', '1'), 1);
    t.record(result('a', 'FAILED', null), 2);
    t.record(result('zz', 'SUCCEEDED', '1'), 3);
    const s = t.summary();
    expect(s).toMatchObject({ answered: 1, correct: 1, duplicates: 1, unknown: 1 });
    expect(s.statuses).toEqual({ SUCCEEDED: 1 });
    expect(s.lastArrivalMs).toBe(1);
    expect(tallyVerdict(s)).toBeNull();
  });

  it('reports wrong values, failed statuses and missing results', () => {
    const t = new ResultTally(checkReturnsPayload, 2);
    for (const id of ['a', 'b', 'c', 'd']) t.expect(id, bytes(id));
    t.record(result('a', 'SUCCEEDED', 'not a'), 1);
    t.record(result('b', 'FAILED', null, 'boom'), 2);
    t.record(result('c', 'SUCCEEDED', 'c'), 3);
    const s = t.summary();
    expect(s).toMatchObject({ expected: 4, answered: 3, succeeded: 2, correct: 1 });
    expect(s.problems).toHaveLength(2);
    expect(s.problems[1]).toBe('b: FAILED: boom');
    const v = tallyVerdict(s);
    expect(v).toContain('1/4 correct');
    expect(v).toContain('1 without a result');
    expect(v).toContain('1 SUCCEEDED with a wrong answer');
    expect(v).toContain('"FAILED":1');
  });
});
