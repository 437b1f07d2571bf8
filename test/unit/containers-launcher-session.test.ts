import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LauncherSession } from '../../src/containers/launcher-session.js';
import type { ExecutionRequest } from '../../src/domain/executor-port.js';
import { InfraError } from '../../src/domain/infra-error.js';

function session() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let closed = 0;
  const s = new LauncherSession(
    {
      containerId: 'abc',
      stack: 'shell',
      imageId: 'sha256:x',
      limits: { memoryBytes: 1, nanoCpus: 1, pidsLimit: 1 },
      network: false,
    },
    { stdin, stdout, stderr, close: () => closed++ },
  );
  return { s, stdin, stdout, stderr, closed: () => closed };
}

const req = {
  taskId: 't',
  attempt: 1,
  command: ['true'],
  env: {},
  payload: new Uint8Array(0),
  codeTar: null,
  timeoutMs: 1000,
  stdoutCapBytes: 10,
  stderrCapBytes: 10,
  outputCapBytes: 10,
} as unknown as ExecutionRequest;

describe('LauncherSession', () => {
  it('becomes ready on a ready frame split across chunks, then reports started and result', async () => {
    const { s, stdin, stdout } = session();
    stdout.write('{"type":"re');
    stdout.write('ady"}\n');
    await s.ready;
    s.handOver(req);
    expect(JSON.parse(stdin.read().toString()).taskId).toBe('t');
    stdout.write('{"type":"started","atMs":7}\n{"type":"result","exitCode":0}\n');
    const end = await s.done;
    expect(end.kind).toBe('result');
    expect(s.startedAtMs).toBe(7);
    expect(() => s.handOver(req)).toThrow(/already handed over/);
  });

  it('is not ready when output ends first, with the stderr tail in the error', async () => {
    const { s, stdout, stderr } = session();
    stderr.write('berth-launcher: cannot read stdin\n');
    await new Promise((r) => setImmediate(r));
    stdout.end();
    const err = await s.ready.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfraError);
    expect((err as InfraError).message).toMatch(/cannot read stdin/);
    expect(s.alive).toBe(false);
    expect(await s.done).toEqual({ kind: 'ended' });
  });

  it('treats garbage or a result before handover as a protocol error and drops the connection', async () => {
    const { s, stdout, closed } = session();
    stdout.write('{"type":"ready"}\n{"type":"result","exitCode":0}\n');
    expect(await s.done).toEqual({
      kind: 'protocol-error',
      message: 'unexpected result frame before handover',
    });
    expect(closed()).toBe(1);
    const other = session();
    other.stdout.write('hello\n');
    expect((await other.s.done).kind).toBe('protocol-error');
  });

  it('caps an idle line at 64 KiB', async () => {
    const { s, stdout } = session();
    stdout.write(Buffer.alloc(65 * 1024, 0x61));
    const end = await s.done;
    expect(end).toEqual({ kind: 'protocol-error', message: 'launcher frame exceeded 65536 bytes' });
  });
});
