import { describe, expect, it } from 'vitest';
import { codePackageCodec } from '../../src/codecs/code-package-codec.js';
import { controlCodec } from '../../src/codecs/control-codec.js';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';
import { taskResultCodec } from '../../src/codecs/task-result-codec.js';
import { workerStatsCodec } from '../../src/codecs/worker-stats-codec.js';
import type { CodePackage } from '../../src/domain/code-package.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import type { WorkerStats } from '../../src/domain/worker-stats.js';

const event: TaskEvent = {
  id: 'task-1',
  code: { name: 'thumbnailer', revision: 3 },
  inline: null,
  payload: new TextEncoder().encode('{"w":64}'),
  priority: 2,
  timeoutMs: 60_000,
  maxAttempts: 3,
  attempt: 1,
  memoryBytes: 256 * 1024 * 1024,
  network: false,
  labels: { tenant: 'acme' },
  createdAtMs: 1_764_000_000_000,
};

const result: TaskResult = {
  id: 'task-1',
  attempt: 2,
  status: 'TIMED_OUT',
  exitCode: null,
  reason: 'timeout after 60000 ms',
  stdout: Buffer.from('out'),
  stdoutTruncated: true,
  stderr: Buffer.alloc(0),
  stderrTruncated: false,
  outputs: [{ name: 'thumb.png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }],
  outputsTruncated: false,
  stack: 'media',
  stackImage: `sha256:${'a'.repeat(64)}`,
  codeName: 'thumbnailer',
  codeRevision: 3,
  codeDigest: `sha256:${'b'.repeat(64)}`,
  workerId: 'w-1',
  sourceTopic: 'berth.tasks',
  sourcePartition: 4,
  sourceOffset: '9007199254740993',
  queueWaitMs: 5,
  startLatencyMs: 40,
  runMs: 60_000,
  finishedAtMs: 1_764_000_060_000,
  labels: {},
};

describe('wire format', () => {
  it('encodes the docs/wire-format.md example to exactly the documented bytes', () => {
    const bytes = taskEventCodec.encode({
      id: 't-1',
      code: { name: 'hello', revision: null },
      inline: null,
      payload: Buffer.from('{"n":1}'),
      priority: 1,
      timeoutMs: null,
      maxAttempts: null,
      attempt: 1,
      memoryBytes: null,
      network: null,
      labels: {},
      createdAtMs: 1764000000000,
    });
    const documented =
      '00 00 00 03 ea 06 74 2d 31 02 0a 68 65 6c 6c 6f 00 00 0e 7b 22 6e 22 3a 31 7d 02 00 00 02 00 00 00 80 a0 bf e9 d6 66 00';
    expect(bytes.toString('hex').match(/../g)?.join(' ')).toBe(documented);
  });
});

describe('codecs round-trip every field', () => {
  it('TaskEvent with a code reference', () => {
    const bytes = taskEventCodec.encode(event);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(1002);
    const back = taskEventCodec.decode(bytes);
    expect({ ...back, payload: Buffer.from(back.payload) }).toEqual({
      ...event,
      payload: Buffer.from(event.payload),
    });
  });

  it('TaskEvent inline with env and no optional numbers', () => {
    const inline: TaskEvent = {
      ...event,
      code: null,
      inline: { stack: 'python-3.11', command: ['python', '-c', 'print(1)'], env: { A: 'b' } },
      timeoutMs: null,
      maxAttempts: null,
      memoryBytes: null,
      network: null,
    };
    const back = taskEventCodec.decode(taskEventCodec.encode(inline));
    expect(back.inline).toEqual(inline.inline);
    expect(back.code).toBeNull();
    expect(back.timeoutMs).toBeNull();
    expect(back.network).toBeNull();
  });

  it('TaskResult keeps bytes, enums and the int64 offset string exactly', () => {
    const bytes = taskResultCodec.encode(result);
    expect(bytes.readUInt32BE(1)).toBe(2002);
    const back = taskResultCodec.decode(bytes);
    expect(back).toEqual({ ...result, returnValue: null });
    expect(back.sourceOffset).toBe('9007199254740993');
    const withValue = { ...result, returnValue: { kind: 'JSON' as const, data: Buffer.from('{"ok":true}') } };
    const again = taskResultCodec.decode(taskResultCodec.encode(withValue));
    expect(again.returnValue?.kind).toBe('JSON');
    expect(Buffer.from(again.returnValue?.data ?? []).toString()).toBe('{"ok":true}');
  });

  it('WorkerStats, Control and CodePackage', () => {
    const stats: WorkerStats = {
      workerId: 'w-1',
      host: 'h',
      state: 'DRAINING',
      startedAtMs: 1,
      reportedAtMs: 2,
      slotsTotal: 4,
      slotsBusy: 3,
      memoryBudgetBytes: 2 ** 33,
      memoryUsedBytes: 2 ** 30,
      bufferedTasks: 1,
      partitions: [{ topic: 'berth.tasks', partition: 0, paused: true, lag: 12 }],
      tasksSucceeded: 10,
      tasksFailed: 1,
      tasksOther: 0,
      warmContainers: { 'python-3.11': 2 },
    };
    expect(workerStatsCodec.decode(workerStatsCodec.encode(stats))).toEqual(stats);
    const control = { taskId: 't', action: 'CANCEL', reason: null, requestedAtMs: 5 } as const;
    expect(controlCodec.decode(controlCodec.encode(control))).toEqual(control);
    const pkg: CodePackage = {
      name: 'validator',
      revision: 2,
      digest: `sha256:${'c'.repeat(64)}`,
      manifest: {
        name: 'validator',
        stack: 'node-20',
        command: ['node', 'main.js'],
        timeoutMs: 1000,
        memoryBytes: 1 << 27,
        env: {},
        network: false,
        maxAttempts: 2,
        retryDelayMs: 500,
        maxConcurrency: 0,
        isolation: 'HOT',
        handler: 'validate.js:handle',
        secrets: [],
      },
      tarball: Buffer.from('tar'),
      createdAtMs: 9,
    };
    expect(codePackageCodec.decode(codePackageCodec.encode(pkg))).toEqual(pkg);
  });

  it('encode rejects values that break the schema or domain rules with TypeError', () => {
    expect(() =>
      taskEventCodec.encode({ ...event, inline: { stack: 's', command: ['x'], env: {} } }),
    ).toThrow(/both code and inline/);
    expect(() => taskEventCodec.encode({ ...event, priority: 7 })).toThrow(TypeError);
    expect(() => taskResultCodec.encode({ ...result, status: 'WEIRD' as never })).toThrow(/status/);
  });
});

describe('encoding values of any size', () => {
  it('round-trips results larger than the encoder scratch buffer, and small ones after them', () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 0x61);
    const large: TaskResult = { ...result, stdout: big, stderr: big.subarray(0, 70_000) };
    const decoded = taskResultCodec.decode(taskResultCodec.encode(large));
    expect(Buffer.from(decoded.stdout).equals(big)).toBe(true);
    expect(decoded.stderr.byteLength).toBe(70_000);
    const small = taskResultCodec.encode(result);
    expect(taskResultCodec.decode(small)).toEqual(taskResultCodec.decode(taskResultCodec.encode(result)));
    // Each encoded value owns its bytes: a later encode does not change an earlier one.
    const before = Buffer.from(small);
    taskResultCodec.encode({ ...result, id: 'other-task', reason: 'x'.repeat(500) });
    expect(Buffer.from(small).equals(before)).toBe(true);
  });

  it('names the field of a value that does not fit the schema', () => {
    expect(() => taskResultCodec.encode({ ...result, attempt: 'two' as unknown as number })).toThrow(
      /attempt/,
    );
  });
});
