import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, parsePairs } from '../../src/cli/cli-session.js';
import { onePositional, UsageError } from '../../src/cli/command.js';
import {
  checkedTask,
  intFlag,
  payloadCapFlag,
  priorityFlag,
  readPayload,
} from '../../src/cli/commands/submit.js';
import { resultLine } from '../../src/cli/result-printer.js';
import { DEFAULT_PAYLOAD_CAP_BYTES } from '../../src/config/worker-settings.js';

describe('CLI flag parsing', () => {
  it('--priority takes a lane name or its number', () => {
    expect(['high', 'normal', 'low', 'HIGH', '2', '1', '0'].map(priorityFlag)).toEqual([
      'high',
      'normal',
      'low',
      'high',
      'high',
      'normal',
      'low',
    ]);
    expect(priorityFlag(undefined)).toBeUndefined();
    expect(() => priorityFlag('urgent')).toThrow(/--priority: 'urgent' is not high, normal or low/);
    expect(() => priorityFlag('3')).toThrow(UsageError);
    expect(checkedTask({ code: 'a', priority: priorityFlag('high') }).priority).toBe('high');
  });

  it('KEY=VALUE pairs and integers', () => {
    expect(parsePairs(['A=1', 'B=x=y'], 'env')).toEqual({ A: '1', B: 'x=y' });
    expect(() => parsePairs(['nope'], 'env')).toThrow(/--env: expected KEY=VALUE/);
    expect(intFlag('3', 'priority')).toBe(3);
    expect(() => intFlag('high', 'priority')).toThrow(UsageError);
  });

  it('payload: JSON validated, @file read raw, missing file one line', () => {
    expect(Buffer.from(readPayload('{"a":1}') ?? []).toString()).toBe('{"a":1}');
    expect(() => readPayload('{a:1}')).toThrow(/--payload is not valid JSON/);
    const dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
    try {
      writeFileSync(join(dir, 'p.bin'), Buffer.from([1, 2, 3]));
      expect([...(readPayload(`@${join(dir, 'p.bin')}`) ?? [])]).toEqual([1, 2, 3]);
      expect(() => readPayload(`@${join(dir, 'none')}`)).toThrow(/cannot read .*none: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('invalid tasks from flags are usage errors (exit 2)', () => {
    try {
      checkedTask({ code: 'a', priority: 9 as 0 });
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(EXIT.usage);
      expect((err as Error).message).toMatch(/priority 9/);
    }
  });

  it('payload cap: flag, else BERTH_PAYLOAD_CAP_BYTES, else the worker default; bounds checked', () => {
    expect(payloadCapFlag(undefined, {})).toBe(DEFAULT_PAYLOAD_CAP_BYTES);
    expect(payloadCapFlag(undefined, { BERTH_PAYLOAD_CAP_BYTES: '' })).toBe(DEFAULT_PAYLOAD_CAP_BYTES);
    expect(payloadCapFlag(undefined, { BERTH_PAYLOAD_CAP_BYTES: '1000' })).toBe(1000);
    expect(payloadCapFlag('2000', { BERTH_PAYLOAD_CAP_BYTES: '1000' })).toBe(2000);
    for (const bad of ['0', '-5', '1e3', 'big', String(16 * 1024 * 1024 + 1)]) {
      expect(() => payloadCapFlag(bad, {})).toThrow(
        /^--payload-cap-bytes \/ BERTH_PAYLOAD_CAP_BYTES must be an integer in \[1, 16777216\]/,
      );
    }
  });

  it('a payload over the cap is a usage error naming size and cap (exit 2)', () => {
    const payload = new Uint8Array(DEFAULT_PAYLOAD_CAP_BYTES + 1);
    expect(checkedTask({ code: 'a', payload: new Uint8Array(DEFAULT_PAYLOAD_CAP_BYTES) }).code).toBe('a');
    try {
      checkedTask({ id: 't', code: 'a', payload });
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(EXIT.usage);
      expect((err as Error).message).toBe(
        `payload of task t is ${DEFAULT_PAYLOAD_CAP_BYTES + 1} bytes, over the payload cap of ${DEFAULT_PAYLOAD_CAP_BYTES} bytes (workers dead-letter larger payloads as too_large); --payload-cap-bytes / BERTH_PAYLOAD_CAP_BYTES set the cap`,
      );
    }
    expect(checkedTask({ code: 'a', payload }, DEFAULT_PAYLOAD_CAP_BYTES + 1).code).toBe('a');
  });

  it('result line', () => {
    const line = resultLine({
      id: 'x',
      attempt: 1,
      status: 'FAILED',
      exitCode: 2,
      reason: 'exit code 2',
      stdout: new Uint8Array(),
      stdoutTruncated: false,
      stderr: new Uint8Array(),
      stderrTruncated: false,
      outputs: [],
      outputsTruncated: false,
      stack: 'node-20',
      stackImage: null,
      codeName: 'v',
      codeRevision: 4,
      codeDigest: null,
      workerId: 'w1',
      sourceTopic: 't',
      sourcePartition: 0,
      sourceOffset: '1',
      queueWaitMs: 3,
      startLatencyMs: 40,
      runMs: 120,
      finishedAtMs: 0,
      labels: {},
    });
    expect(line).toBe(
      'x attempt 1: FAILED, exit 2, code v@4, run 120 ms, start 40 ms, queue 3 ms, worker w1: exit code 2',
    );
  });
});

describe('onePositional', () => {
  it('returns the one argument and refuses none, several or an empty one, naming what it wanted', () => {
    expect(onePositional(['t-1'], 'task ID')).toBe('t-1');
    for (const bad of [[], ['a', 'b'], ['']])
      expect(() => onePositional(bad, 'task ID')).toThrow(/^expected exactly one task ID$/);
    expect(() => onePositional([], 'schedule NAME')).toThrow(UsageError);
  });
});
