import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BENCH_PACKAGE_KINDS,
  benchPackage,
  benchPayload,
  checkReturnsPayload,
  checkStdoutIsPayload,
  isBenchPackageKind,
  writeBenchPackage,
} from '../../src/bench/bench-packages.js';
import { parseManifest } from '../../src/code/package-manifest.js';
import { NO_OUTPUT, type TaskResult } from '../../src/domain/task-result.js';

function succeeded(parts: Partial<TaskResult>): TaskResult {
  return {
    ...NO_OUTPUT,
    id: 't',
    attempt: 1,
    status: 'SUCCEEDED',
    exitCode: 0,
    reason: null,
    stack: null,
    stackImage: null,
    codeName: null,
    codeRevision: null,
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
    ...parts,
  };
}

describe('benchPackage', () => {
  it('gives every kind a berth.json that validates, with the mode it names', async () => {
    for (const kind of BENCH_PACKAGE_KINDS) {
      const pkg = benchPackage(kind, `bench-${kind}`, 3);
      const parsed = await parseManifest(JSON.stringify(pkg.manifest), {
        runTemplate: async () => null,
        fileExists: (p) => p in pkg.files,
      });
      if (!parsed.ok) throw new Error(`${kind}: ${parsed.errors.join('; ')}`);
      expect(parsed.manifest.isolation).toBe('HOT');
      expect(parsed.manifest.maxConcurrency).toBe(3);
      expect(parsed.manifest.handler !== null).toBe(kind.endsWith('-function'));
    }
  });

  it('writes berth.json and the handler file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-pkg-test-'));
    try {
      await writeBenchPackage(dir, benchPackage('python-function', 'p', 2));
      expect(JSON.parse(await readFile(join(dir, 'berth.json'), 'utf8')).handler).toBe('echo.py:handle');
      expect(await readFile(join(dir, 'echo.py'), 'utf8')).toContain('return payload');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('knows its kinds', () => {
    expect(isBenchPackageKind('hot-shell')).toBe(true);
    expect(isBenchPackageKind('fresh')).toBe(false);
  });
});

describe('benchPayload', () => {
  it('is distinct per task and JSON', () => {
    const a = Buffer.from(benchPayload('x-1', 1)).toString();
    const b = Buffer.from(benchPayload('x-2', 2)).toString();
    expect(a).not.toBe(b);
    expect(JSON.parse(a)).toMatchObject({ id: 'x-1', i: 1, currency: 'EUR' });
  });
});

describe('result checks', () => {
  const payload = benchPayload('t', 7);
  it('checkReturnsPayload wants the payload back as BYTES', () => {
    const data = Buffer.from(payload);
    expect(checkReturnsPayload(succeeded({ returnValue: { kind: 'BYTES', data } }), payload)).toBeNull();
    expect(checkReturnsPayload(succeeded({ returnValue: null }), payload)).toBe('no return value');
    expect(checkReturnsPayload(succeeded({ returnValue: { kind: 'STRING', data } }), payload)).toContain(
      'kind STRING',
    );
    const other = Buffer.from(benchPayload('t', 8));
    expect(
      checkReturnsPayload(succeeded({ returnValue: { kind: 'BYTES', data: other } }), payload),
    ).toContain('is not the payload');
  });

  it('checkStdoutIsPayload wants the payload on stdout, not cut', () => {
    expect(checkStdoutIsPayload(succeeded({ stdout: Buffer.from(payload) }), payload)).toBeNull();
    expect(checkStdoutIsPayload(succeeded({ stdout: new Uint8Array(0) }), payload)).toContain(
      'is not the payload',
    );
    expect(
      checkStdoutIsPayload(succeeded({ stdout: Buffer.from(payload), stdoutTruncated: true }), payload),
    ).toBe('stdout truncated');
  });
});
