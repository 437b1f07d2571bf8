import { afterEach, describe, expect, it } from 'vitest';
import { ContainerExecutor } from '../../src/containers/container-executor.js';
import { LABEL_INSTALLATION, taskContainerSpec } from '../../src/containers/container-spec.js';
import { executorOptions } from '../../src/containers/executor-options.js';
import { FunctionExecutor } from '../../src/containers/function-executor.js';
import { HotExecutor } from '../../src/containers/hot-executor.js';
import type { ExecutionRequest, HotIsolation } from '../../src/domain/executor-port.js';
import { InfraError } from '../../src/domain/infra-error.js';
import { Installation, installationIdOf } from '../../src/domain/installation.js';
import { FakeEngine, type FakeLauncher, resultFrame } from './containers-fake-engine.js';

describe('Installation', () => {
  it('is unusable until resolved, then looks the id up only once', async () => {
    let lookups = 0;
    const installation = new Installation(async () => {
      lookups++;
      return installationIdOf('MkU3OEVBNTcwNTJENDM2Qk', 'berth');
    });
    expect(() => installation.id).toThrow(InfraError);
    expect(await installation.resolve()).toBe('MkU3OEVBNTcwNTJENDM2Qk/berth');
    expect(await installation.resolve()).toBe('MkU3OEVBNTcwNTJENDM2Qk/berth');
    expect(installation.id).toBe('MkU3OEVBNTcwNTJENDM2Qk/berth');
    expect(lookups).toBe(1);
  });

  it('looks up again after a failed lookup', async () => {
    const answers = [Promise.reject(new Error('broker down')), Promise.resolve('c/p')];
    const installation = new Installation(() => answers.shift() as Promise<string>);
    await expect(installation.resolve()).rejects.toThrow(/broker down/);
    expect(() => installation.id).toThrow(/before it was resolved/);
    expect(await installation.resolve()).toBe('c/p');
  });

  it('rejects ids that are not label-safe; a fixed id is usable at once', async () => {
    await expect(new Installation(async () => 'a b').resolve()).rejects.toThrow(/installation id must match/);
    expect(() => Installation.of('')).toThrow(InfraError);
    expect(Installation.of('prod-eu').id).toBe('prod-eu');
  });
});

describe('berth.installation label', () => {
  const input = {
    imageId: 'sha256:abc',
    stack: 'shell',
    workerId: 'w-1',
    limits: { memoryBytes: 1, nanoCpus: 1, pidsLimit: 1 },
    network: false,
    taskTmpfsBytes: 1,
    tmpTmpfsBytes: 1,
    extraLabels: { [LABEL_INSTALLATION]: 'spoof', 'berth.test': '1' },
    nowMs: 1,
  };

  it('is set from the installation id and never from the extra labels', () => {
    expect(taskContainerSpec({ ...input, installationId: 'c/p' }).Labels?.[LABEL_INSTALLATION]).toBe('c/p');
    expect(taskContainerSpec(input).Labels).not.toHaveProperty(LABEL_INSTALLATION);
    expect(taskContainerSpec(input).Labels?.['berth.test']).toBe('1');
  });

  const options = executorOptions({
    workerId: 'w1',
    backstopGraceMs: 50,
    readyTimeoutMs: 200,
    exitStateWaitMs: 50,
    extraLabels: { 'berth.test': '1' },
    installation: () => 'cluster-1/berth',
  });
  const request: ExecutionRequest = {
    taskId: 't1',
    attempt: 1,
    stack: 'shell',
    imageId: 'sha256:aaa',
    command: ['true'],
    env: {},
    payload: new Uint8Array(0),
    codeTar: null,
    timeoutMs: 1000,
    memoryBytes: options.defaultLimits.memoryBytes,
    nanoCpus: options.defaultLimits.nanoCpus,
    pidsLimit: options.defaultLimits.pidsLimit,
    network: false,
    stdoutCapBytes: 1024,
    stderrCapBytes: 1024,
    outputCapBytes: 1024,
  };
  const hot: HotIsolation = { packageKey: 'tx@1#sha256:d', packageName: 'tx', maxContainers: 1 };
  const keepAlive: FakeLauncher = (_task, c) => {
    c.frame({ type: 'started', atMs: 1 });
    c.frame(resultFrame({}));
    c.frame({ type: 'ready' });
  };
  const never = new AbortController().signal;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  const labelsOf = (engine: FakeEngine) =>
    [...engine.containers.values()].map((c) => c.spec.Labels?.[LABEL_INSTALLATION]);

  it('is on fresh containers, warm and cold', async () => {
    const engine = new FakeEngine();
    const executor = new ContainerExecutor(engine, options, () => {});
    closers.push(() => executor.close());
    executor.prewarm('shell', 'sha256:aaa', 1);
    expect((await executor.execute({ ...request, network: true }, never)).status).toBe('SUCCEEDED');
    expect(engine.containers.size).toBeGreaterThanOrEqual(2);
    expect(new Set(labelsOf(engine))).toEqual(new Set(['cluster-1/berth']));
  });

  it('is on HOT process containers', async () => {
    const engine = new FakeEngine({ launcher: keepAlive });
    const executor = new HotExecutor(engine, { ...options, idleMs: 60_000 }, () => {});
    closers.push(() => executor.close(200));
    expect((await executor.execute({ ...request, hot }, hot, never)).status).toBe('SUCCEEDED');
    expect(labelsOf(engine)).toEqual(['cluster-1/berth']);
  });

  it('is on HOT function containers', async () => {
    // The runtime never loads (silent launcher): only the created container matters here.
    const engine = new FakeEngine({ silentOnStart: true });
    const fnOptions = { ...options, idleMs: 60_000, pipelineDepth: 1, loadTimeoutMs: 200, callSocket: null };
    const executor = new FunctionExecutor(engine, fnOptions, () => {});
    closers.push(() => executor.close(200));
    const handler = { ...hot, handler: 'h.js:handle' };
    await executor.execute({ ...request, hot: handler }, handler, never).catch(() => undefined);
    expect(labelsOf(engine)).toEqual(['cluster-1/berth']);
  });

  it('is absent on containers of standalone executors (tests, benchmarks): no reaper removes them', async () => {
    const engine = new FakeEngine();
    const executor = new ContainerExecutor(engine, executorOptions({ workerId: 'w1' }), () => {});
    closers.push(() => executor.close());
    expect((await executor.execute(request, never)).status).toBe('SUCCEEDED');
    expect(labelsOf(engine)).toEqual([undefined]);
  });
});
