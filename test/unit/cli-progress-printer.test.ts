import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressPrinter, progressLine } from '../../src/cli/progress-printer.js';
import type { TaskProgress } from '../../src/domain/task-progress.js';
import type { TaskResult } from '../../src/domain/task-result.js';

function capture() {
  const out = new PassThrough();
  const err = new PassThrough();
  const text = { out: '', err: '' };
  out.on('data', (d: Buffer) => {
    text.out += d.toString();
  });
  err.on('data', (d: Buffer) => {
    text.err += d.toString();
  });
  return { out, err, text };
}

const rec = (over: Partial<TaskProgress>): TaskProgress => ({
  taskId: 't1',
  attempt: 1,
  workerId: 'w1',
  seq: 0,
  atMs: 0,
  percent: null,
  message: null,
  stdout: new Uint8Array(0),
  stderr: new Uint8Array(0),
  droppedBytes: 0,
  ...over,
});

const result = (over: Partial<TaskResult>): TaskResult =>
  ({
    id: 't1',
    attempt: 1,
    status: 'SUCCEEDED',
    exitCode: 0,
    reason: null,
    stdout: Buffer.from('one\ntwo\nthree\n'),
    stderr: Buffer.from('warn\n'),
    stdoutTruncated: false,
    stderrTruncated: false,
    outputs: [],
    returnValue: null,
    ...over,
  }) as unknown as TaskResult;

describe('berth logs printing', () => {
  it('formats progress lines', () => {
    expect(progressLine({ percent: 33.333, message: 'step' })).toBe('progress 33.3% step');
    expect(progressLine({ percent: null, message: 'waiting' })).toBe('progress waiting');
    expect(progressLine({ percent: 100, message: null })).toBe('progress 100%');
  });

  it('prints streamed output, then only the rest from the result', async () => {
    const c = capture();
    const p = new ProgressPrinter(false, c.out, c.err);
    p.print(rec({ stdout: Buffer.from('one\n'), percent: 10, message: 'a' }));
    p.print(rec({ seq: 1, stdout: Buffer.from('two\n'), stderr: Buffer.from('wa') }));
    p.printRest(result({}));
    await new Promise((r) => setImmediate(r));
    expect(c.text.out).toBe('one\ntwo\nthree\n');
    expect(c.text.err).toMatch(/^\[berth\] progress 10% a\nwarn\n.*SUCCEEDED/s);
  });

  it('does not guess the rest when output was dropped, and notes a new attempt', async () => {
    const c = capture();
    const p = new ProgressPrinter(false, c.out, c.err);
    p.print(rec({ stdout: Buffer.from('x'), droppedBytes: 5 }));
    p.print(rec({ attempt: 2, workerId: 'w2', stdout: Buffer.from('one\n') }));
    p.printRest(result({ attempt: 1 }));
    await new Promise((r) => setImmediate(r));
    expect(c.text.out).toBe('xone\n');
    expect(c.text.err).toContain('5 output bytes not streamed');
    expect(c.text.err).toContain('[berth] attempt 2 on w2');
    expect(c.text.err).toContain('berth task t1 --output shows all of it');
  });
});
