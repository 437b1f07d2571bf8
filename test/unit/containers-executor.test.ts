import { afterEach, describe, expect, it } from 'vitest';
import { ContainerExecutor } from '../../src/containers/container-executor.js';
import { executorOptions } from '../../src/containers/executor-options.js';
import type { ExecutionRequest } from '../../src/domain/executor-port.js';
import { InfraError } from '../../src/domain/infra-error.js';
import { FakeEngine, type FakeLauncher, resultFrame, succeed } from './containers-fake-engine.js';

const MIB = 1024 * 1024;
const options = executorOptions({
  workerId: 'w1',
  backstopGraceMs: 50,
  readyTimeoutMs: 500,
  refillBackoffBaseMs: 5,
  refillBackoffMaxMs: 20,
  exitStateWaitMs: 100,
  extraLabels: { 'berth.test': '1' },
});

function request(over: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return {
    taskId: 't1',
    attempt: 1,
    stack: 'shell',
    imageId: 'sha256:aaa',
    command: ['sh', '-c', 'cat $PAYLOAD_FILE'],
    env: {},
    payload: new TextEncoder().encode('hello'),
    codeTar: null,
    timeoutMs: 1000,
    memoryBytes: options.defaultLimits.memoryBytes,
    nanoCpus: options.defaultLimits.nanoCpus,
    pidsLimit: options.defaultLimits.pidsLimit,
    network: false,
    stdoutCapBytes: 1024,
    stderrCapBytes: 1024,
    outputCapBytes: 1024,
    ...over,
  };
}

const never = new AbortController().signal;
let executor: ContainerExecutor | null = null;

function setup(launcher?: FakeLauncher, extra: ConstructorParameters<typeof FakeEngine>[0] = {}) {
  const engine = new FakeEngine({ launcher, ...extra });
  const logs: string[] = [];
  executor = new ContainerExecutor(engine, options, (m) => logs.push(m));
  return { engine, executor, logs };
}

async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

afterEach(async () => {
  await executor?.close();
  executor = null;
});

describe('ContainerExecutor', () => {
  it('runs on a cold container when nothing is warm, and removes it afterwards', async () => {
    const { engine, executor } = setup();
    const outcome = await executor.execute(request(), never);
    expect(outcome.status).toBe('SUCCEEDED');
    expect(new TextDecoder().decode(outcome.stdout)).toBe('hello');
    expect(outcome.startedAtMs).toBe(1000);
    await executor.close();
    expect(engine.live()).toHaveLength(0);
    const spec = [...engine.containers.values()][0]?.spec;
    expect(spec?.Labels).toMatchObject({ 'berth.role': 'task', 'berth.worker': 'w1', 'berth.test': '1' });
    expect(spec?.Image).toBe('sha256:aaa');
  });

  it('hands over a warm container of the requested image and refills the pool', async () => {
    const { engine, executor } = setup();
    executor.prewarm('shell', 'sha256:aaa', 2);
    await until(() => executor.warmCounts().shell === 2);
    const warmIds = engine.live().map((c) => c.id);
    const outcome = await executor.execute(request(), never);
    expect(outcome.status).toBe('SUCCEEDED');
    const used = [...engine.containers.values()].filter((c) => c.tasks.length > 0);
    expect(used.map((c) => c.id)).toEqual([warmIds[0]]);
    await until(() => executor.warmCounts().shell === 2);
    expect(engine.calls.filter((c) => c === 'create')).toHaveLength(3);
  });

  it('never hands over a container of another image; a rebuilt stack drains the old ones', async () => {
    const { engine, executor } = setup();
    executor.prewarm('shell', 'sha256:old', 2);
    await until(() => executor.warmCounts().shell === 2);
    const oldIds = engine.live().map((c) => c.id);
    await executor.execute(request({ imageId: 'sha256:new' }), never);
    const used = [...engine.containers.values()].find((c) => c.tasks.length > 0);
    expect(used?.spec.Image).toBe('sha256:new');
    executor.prewarm('shell', 'sha256:new', 1);
    await until(() => executor.warmCounts().shell === 1);
    await until(() => oldIds.every((id) => engine.containers.get(id)?.removed === true));
    expect(engine.live().every((c) => c.spec.Image === 'sha256:new')).toBe(true);
  });

  it('updates the limits of a warm container when the request asks for others', async () => {
    const { engine, executor } = setup();
    executor.prewarm('shell', 'sha256:aaa', 1);
    await until(() => executor.warmCounts().shell === 1);
    const warmId = engine.live()[0]?.id as string;
    await executor.execute(request({ memoryBytes: 64 * MIB, pidsLimit: 32 }), never);
    const used = engine.containers.get(warmId);
    expect(used?.tasks).toHaveLength(1);
    expect(used?.limits.memoryBytes).toBe(64 * MIB);
    expect(used?.limits.pidsLimit).toBe(32);
  });

  it('gives concurrent tasks distinct containers, each seeing only its own payload', async () => {
    const { engine, executor } = setup((task, c) => {
      setTimeout(() => {
        c.frame(resultFrame({ stdoutB64: task.payloadB64 }));
        c.exit();
      }, 20);
    });
    executor.prewarm('shell', 'sha256:aaa', 2);
    await until(() => executor.warmCounts().shell === 2);
    const payloads = ['a', 'b', 'c', 'd'];
    const outcomes = await Promise.all(
      payloads.map((p) => executor.execute(request({ payload: new TextEncoder().encode(p) }), never)),
    );
    expect(outcomes.map((o) => new TextDecoder().decode(o.stdout))).toEqual(payloads);
    const used = [...engine.containers.values()].filter((c) => c.tasks.length > 0);
    expect(used).toHaveLength(4);
    expect(used.every((c) => c.tasks.length === 1)).toBe(true);
  });

  it('takes the cold path with a bridge network when the task asks for network', async () => {
    const { engine, executor } = setup();
    executor.prewarm('shell', 'sha256:aaa', 1);
    await until(() => executor.warmCounts().shell === 1);
    await executor.execute(request({ network: true }), never);
    const used = [...engine.containers.values()].find((c) => c.tasks.length > 0);
    expect(used?.spec.HostConfig?.NetworkMode).toBe('bridge');
    expect(executor.warmCounts().shell).toBe(1);
  });

  it('maps exit codes, spawn errors and signals', async () => {
    const cases: [Record<string, unknown>, string, string | null][] = [
      [{ exitCode: 3 }, 'FAILED', 'exit code 3'],
      [{ exitCode: null, spawnError: 'sh: not found' }, 'FAILED', 'sh: not found'],
      [{ exitCode: null, timedOut: true, signal: 'SIGKILL' }, 'TIMED_OUT', 'timed out'],
      [{ exitCode: null, signal: 'SIGSEGV' }, 'KILLED', 'killed by SIGSEGV'],
      [
        { exitCode: null, signal: 'SIGKILL', oomKilled: true },
        'KILLED',
        `out of memory (limit ${32 * MIB} bytes)`,
      ],
    ];
    for (const [over, status, reason] of cases) {
      const { executor } = setup(succeed(over));
      const outcome = await executor.execute(request({ memoryBytes: 32 * MIB }), never);
      expect([outcome.status, outcome.reason]).toEqual([status, reason]);
      await executor.close();
    }
  });

  it('asks the engine about OOM when the task died by a bare SIGKILL', async () => {
    const { executor } = setup((_, c) => {
      c.frame(resultFrame({ exitCode: null, signal: 'SIGKILL' }));
      c.exit({ oomKilled: true });
    });
    const outcome = await executor.execute(request(), never);
    expect(outcome.status).toBe('KILLED');
    expect(outcome.reason).toMatch(/^out of memory/);
  });

  it('reports OOM when the whole container died without a result', async () => {
    const { executor } = setup((_, c) => c.exit({ oomKilled: true }));
    const outcome = await executor.execute(request(), never);
    expect(outcome.status).toBe('KILLED');
  });

  it('rejects with a retriable InfraError when the container is lost mid-run', async () => {
    const { engine, executor } = setup((_, c) => {
      c.stderr.write('berth-launcher: boom\n');
      setTimeout(() => c.exit(), 5);
    });
    const err = await executor.execute(request(), never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfraError);
    expect((err as InfraError).retriable).toBe(true);
    expect((err as InfraError).message).toContain('boom');
    await executor.close();
    expect(engine.live()).toHaveLength(0);
  });

  it('kills a silent container at timeout + grace: TIMED_OUT', async () => {
    const { engine, executor } = setup(() => {});
    const t0 = Date.now();
    const outcome = await executor.execute(request({ timeoutMs: 100 }), never);
    expect(outcome.status).toBe('TIMED_OUT');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(engine.calls).toContain('kill');
  });

  it('cancels a running task via the signal: CANCELLED and the container is killed', async () => {
    const { engine, executor } = setup((_, c) => c.frame({ type: 'started', atMs: 5 }));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const outcome = await executor.execute(request({ timeoutMs: 60_000 }), ac.signal);
    expect(outcome.status).toBe('CANCELLED');
    expect(outcome.startedAtMs).toBe(5);
    expect(engine.calls).toContain('kill');
    await executor.close();
    expect(engine.live()).toHaveLength(0);
  });

  it('cancels during a slow cold start without leaving the container behind', async () => {
    const { engine, executor } = setup(succeed(), { startDelayMs: 100 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const outcome = await executor.execute(request(), ac.signal);
    expect(outcome.status).toBe('CANCELLED');
    await executor.close();
    expect(engine.live()).toHaveLength(0);
  });

  it('fails the task (not the worker) when the launcher writes an oversized frame', async () => {
    const { executor } = setup((_, c) => c.stdout.write('x'.repeat(2 * MIB)));
    const outcome = await executor.execute(request(), never);
    expect(outcome.status).toBe('FAILED');
    expect(outcome.reason).toMatch(/launcher protocol error: launcher frame exceeded \d+ bytes/);
  });

  it('rejects with a non-retriable InfraError when the image is missing', async () => {
    const missing = new InfraError('no such image', { retriable: false, component: 'docker' });
    const { executor } = setup(succeed(), { failCreates: { count: 1, error: missing } });
    await expect(executor.execute(request(), never)).rejects.toBe(missing);
  });

  it('refills with backoff after engine errors', async () => {
    const flaky = new InfraError('connection refused', { retriable: true, component: 'docker' });
    const { executor, logs } = setup(succeed(), { failCreates: { count: 3, error: flaky } });
    executor.prewarm('shell', 'sha256:aaa', 1);
    await until(() => executor.warmCounts().shell === 1);
    expect(logs.filter((l) => l.includes('connection refused'))).toHaveLength(3);
  });

  it('replaces a warm container that died while idle', async () => {
    const { engine, executor } = setup();
    executor.prewarm('shell', 'sha256:aaa', 1);
    await until(() => executor.warmCounts().shell === 1);
    const first = engine.live()[0];
    first?.exit();
    await until(() => first?.removed === true && executor.warmCounts().shell === 1);
    expect(engine.live()[0]?.id).not.toBe(first?.id);
  });

  it('close removes every idle container and is idempotent', async () => {
    const { engine, executor } = setup();
    executor.prewarm('shell', 'sha256:aaa', 3);
    await until(() => executor.warmCounts().shell === 3);
    await executor.close();
    await executor.close();
    expect(engine.live()).toHaveLength(0);
    await expect(executor.execute(request(), never)).rejects.toBeInstanceOf(InfraError);
  });
});

describe('warm pool with a missing image', () => {
  it('stops hammering the engine after a non-retriable error and tries again later', async () => {
    const missing = new InfraError('no such image', { retriable: false, component: 'docker' });
    const engine = new FakeEngine({ failCreates: { count: 2, error: missing } });
    const logs: string[] = [];
    const slow = executorOptions({ workerId: 'w1', refillBackoffBaseMs: 5, refillBackoffMaxMs: 300 });
    executor = new ContainerExecutor(engine, slow, (m) => logs.push(m));
    const t0 = Date.now();
    executor.prewarm('shell', 'sha256:aaa', 1);
    await until(() => logs.length === 1);
    await new Promise((r) => setTimeout(r, 150));
    expect(engine.calls.filter((c) => c === 'create')).toHaveLength(1);
    await until(() => executor?.warmCounts().shell === 1);
    expect(logs).toEqual(['warm pool shell: no such image', 'warm pool shell: no such image']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
  });
});
