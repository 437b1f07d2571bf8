import { describe, expect, it } from 'vitest';
import type { ExecutionOutcome } from '../../src/domain/executor-port.js';
import { InfraError } from '../../src/domain/infra-error.js';
import { SecretRedactor } from '../../src/secrets/secret-redactor.js';

const b = (s: string) => new Uint8Array(Buffer.from(s));
const t = (u: Uint8Array) => Buffer.from(u).toString();
const redactor = new SecretRedactor([
  { name: 'DB', value: b('hunter2') },
  { name: 'LONG', value: b('hunter2-and-more') },
  { name: 'QUOTED', value: b('a"b\\c\nd') },
  { name: 'EMPTY', value: b('') },
]);

describe('SecretRedactor', () => {
  it('replaces every occurrence, longest value first, in bytes and text', () => {
    expect(t(redactor.bytes(b('x hunter2 hunter2-and-more hunter2')))).toBe(
      'x [redacted:DB] [redacted:LONG] [redacted:DB]',
    );
    expect(redactor.text('pw=hunter2;')).toBe('pw=[redacted:DB];');
    const clean = b('nothing here');
    expect(redactor.bytes(clean)).toBe(clean);
  });

  it('catches the JSON-escaped form (a return value serialised as JSON)', () => {
    const json = JSON.stringify({ v: 'a"b\\c\nd' });
    expect(t(redactor.bytes(b(json)))).toBe('{"v":"[redacted:QUOTED]"}');
    expect(JSON.parse(t(redactor.bytes(b(json))))).toEqual({ v: '[redacted:QUOTED]' });
  });

  it('redacts stdout, stderr, reason, output files and the return value of an outcome', () => {
    const o: ExecutionOutcome = {
      status: 'FAILED',
      exitCode: 1,
      reason: 'bad password hunter2',
      startedAtMs: 1,
      finishedAtMs: 2,
      stdout: b('out hunter2'),
      stdoutTruncated: false,
      stderr: b('err hunter2'),
      stderrTruncated: false,
      outputs: [{ name: 'f.txt', data: b('file hunter2') }],
      outputsTruncated: false,
      returnValue: { kind: 'STRING', data: b('hunter2') },
    };
    const r = redactor.outcome(o);
    expect([
      t(r.stdout),
      t(r.stderr),
      r.reason,
      t(r.outputs[0]?.data ?? b('')),
      t(r.returnValue?.data ?? b('')),
    ]).toEqual([
      'out [redacted:DB]',
      'err [redacted:DB]',
      'bad password [redacted:DB]',
      'file [redacted:DB]',
      '[redacted:DB]',
    ]);
    expect(r.status).toBe('FAILED');
  });

  it('redacts error messages in place, keeping the class and retriable flag', () => {
    const err = new InfraError('container died: hunter2', { retriable: true, component: 'docker' });
    const out = redactor.error(err);
    expect(out).toBe(err);
    expect((out as InfraError).message).toBe('container died: [redacted:DB]');
    expect((out as InfraError).retriable).toBe(true);
  });

  it('has nothing to do without non-empty values', () => {
    expect(new SecretRedactor([{ name: 'E', value: b('') }]).empty).toBe(true);
    expect(redactor.empty).toBe(false);
  });
});
