import { describe, expect, it } from 'vitest';
import { checkResult, reportLines } from '../../src/demo/demo-report.js';
import { type DemoTask, demoWorkload } from '../../src/demo/demo-workload.js';
import { NO_OUTPUT, type TaskResult } from '../../src/domain/task-result.js';

function result(id: string, over: Partial<TaskResult> = {}): TaskResult {
  return {
    ...NO_OUTPUT,
    id,
    attempt: 1,
    status: 'SUCCEEDED',
    exitCode: 0,
    reason: null,
    stack: 'node-20',
    stackImage: 'sha256:x',
    codeName: null,
    codeRevision: null,
    codeDigest: null,
    workerId: 'w',
    sourceTopic: 't',
    sourcePartition: 0,
    sourceOffset: '0',
    queueWaitMs: 1,
    startLatencyMs: 10,
    runMs: 100,
    finishedAtMs: 0,
    labels: {},
    ...over,
  };
}

const tasks = demoWorkload('r', 7);
const byId = (id: string): DemoTask => {
  const t = tasks.find((x) => x.input.id === id);
  if (!t) throw new Error(`no demo task ${id}`);
  return t;
};

describe('demo workload checks', () => {
  it('expects the invalid IBAN transaction to be reported invalid, the others valid', () => {
    const bad = byId('r-tx-3');
    expect(checkResult(bad, result('r-tx-3', { stdout: Buffer.from('{"valid":false}') }))).toBeNull();
    expect(checkResult(bad, result('r-tx-3', { stdout: Buffer.from('{"valid":true}') }))).toContain(
      `stdout lacks '"valid":false'`,
    );
    expect(
      checkResult(byId('r-tx-0'), result('r-tx-0', { stdout: Buffer.from('{"valid":true}') })),
    ).toBeNull();
  });

  it('checks the function-mode validator by its return value', () => {
    const json = (text: string) => ({ returnValue: { kind: 'JSON' as const, data: Buffer.from(text) } });
    const bad = byId('r-txfn-3');
    expect(bad.input.code).toBe('tx-validator-fn');
    expect(checkResult(bad, result('r-txfn-3', json('{"id":"tx-3","valid":false}')))).toBeNull();
    expect(checkResult(bad, result('r-txfn-3', json('{"valid":true}')))).toContain(
      `return value lacks '"valid":false'`,
    );
    expect(checkResult(bad, result('r-txfn-3'))).toContain('return value lacks');
    expect(checkResult(byId('r-txfn-0'), result('r-txfn-0', json('{"valid":true}')))).toBeNull();
  });

  it('flags a wrong status with its reason and a missing output file', () => {
    const luhnBad = byId('r-luhn-bad');
    expect(checkResult(luhnBad, result('r-luhn-bad'))).toBe('r-luhn-bad: expected FAILED, got SUCCEEDED ()');
    const thumb = byId('r-thumb-32');
    expect(checkResult(thumb, result('r-thumb-32'))).toBe('r-thumb-32: no output file thumb.png');
    const withFile = result('r-thumb-32', { outputs: [{ name: 'thumb.png', data: Buffer.from('png') }] });
    expect(checkResult(thumb, withFile)).toBeNull();
  });

  it('summarises statuses and latency percentiles per group', () => {
    const results = new Map([
      ['r-tx-0', result('r-tx-0', { startLatencyMs: 5, runMs: 50 })],
      ['r-tx-1', result('r-tx-1', { startLatencyMs: 15, runMs: 150, status: 'FAILED' })],
    ]);
    const lines = reportLines(tasks, results);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^tx-validator\s+2\s+SUCCEEDED 1, FAILED 1\s+5\/15\s+50\/150$/);
  });
});
