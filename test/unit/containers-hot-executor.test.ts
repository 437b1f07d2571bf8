import { afterEach, describe, expect, it } from 'vitest';
import { executorOptions } from '../../src/containers/executor-options.js';
import { FunctionExecutor } from '../../src/containers/function-executor.js';
import { HotExecutor } from '../../src/containers/hot-executor.js';
import { IsolationRouter } from '../../src/containers/isolation-router.js';
import type { ExecutionRequest, ExecutorPort, HotIsolation } from '../../src/domain/executor-port.js';
import { FakeEngine, type FakeLauncher, resultFrame } from './containers-fake-engine.js';

const options = {
  ...executorOptions({
    workerId: 'w1',
    backstopGraceMs: 50,
    readyTimeoutMs: 500,
    exitStateWaitMs: 50,
    extraLabels: { 'berth.test': '1' },
  }),
  idleMs: 60_000,
};

const hot: HotIsolation = { packageKey: 'tx@3#sha256:d', packageName: 'tx', maxContainers: 1 };

function request(payload: string, over: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return {
    taskId: `t-${payload}`,
    attempt: 1,
    stack: 'shell',
    imageId: 'sha256:aaa',
    command: ['sh', 'run.sh'],
    env: {},
    payload: new TextEncoder().encode(payload),
    codeTar: new Uint8Array([1, 2, 3]),
    timeoutMs: 1000,
    memoryBytes: options.defaultLimits.memoryBytes,
    nanoCpus: options.defaultLimits.nanoCpus,
    pidsLimit: options.defaultLimits.pidsLimit,
    network: false,
    stdoutCapBytes: 1024,
    stderrCapBytes: 1024,
    outputCapBytes: 1024,
    hot,
    ...over,
  };
}

/** Keep-alive launcher: echoes the payload; payload "slow" answers after 30 ms, "hang" never, "timeout" times out. */
const keepAlive: FakeLauncher = (task, c) => {
  const payload = Buffer.from(String(task.payloadB64), 'base64').toString();
  c.frame({ type: 'started', atMs: 1000 });
  if (payload === 'hang') return;
  const answer = () => {
    if (payload === 'timeout') c.frame(resultFrame({ timedOut: true, exitCode: null, signal: 'SIGKILL' }));
    else if (payload === 'fail') c.frame(resultFrame({ exitCode: 3 }));
    else c.frame(resultFrame({ stdoutB64: task.payloadB64 }));
    if (task.keepAlive === true) c.frame({ type: 'ready' });
    else c.exit();
  };
  if (payload === 'slow') setTimeout(answer, 30);
  else answer();
};

const never = new AbortController().signal;
let executor: HotExecutor | null = null;

function setup(maxIdleMs = options.idleMs) {
  const engine = new FakeEngine({ launcher: keepAlive });
  executor = new HotExecutor(engine, { ...options, idleMs: maxIdleMs }, () => {});
  return { engine, executor };
}

const text = (b: Uint8Array) => Buffer.from(b).toString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  await executor?.close(200);
  executor = null;
});

describe('HotExecutor', () => {
  it('serves sequential tasks from one labelled container, sending the code only once', async () => {
    const { engine, executor } = setup();
    for (const p of ['a', 'b', 'c', 'fail', 'd']) {
      const out = await executor.execute(request(p), hot, never);
      expect(out.status).toBe(p === 'fail' ? 'FAILED' : 'SUCCEEDED');
      if (p !== 'fail') expect(text(out.stdout)).toBe(p);
    }
    expect(engine.containers.size).toBe(1);
    const [c] = engine.live();
    expect(c?.spec.Labels).toMatchObject({
      'berth.isolation': 'hot',
      'berth.package': 'tx',
      'berth.test': '1',
    });
    expect(c?.tasks.map((t) => [t.keepAlive, t.reuseCode, t.codeTarB64 !== null])).toEqual([
      [true, false, true],
      [true, true, false],
      [true, true, false],
      [true, true, false],
      [true, true, false],
    ]);
    expect(executor.containerCounts()).toEqual({ [hot.packageKey]: 1 });
  });

  it('never runs more containers than maxContainers and queues the rest', async () => {
    const { engine, executor } = setup();
    const two = { ...hot, maxContainers: 2 };
    const outs = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        executor.execute(request('slow', { taskId: `t${i}`, hot: two }), two, never),
      ),
    );
    expect(outs.every((o) => o.status === 'SUCCEEDED')).toBe(true);
    expect(engine.containers.size).toBe(2);
    expect(engine.live().reduce((n, c) => n + c.tasks.length, 0)).toBe(7);
  });

  it('discards a container whose task timed out; the next task gets a new one', async () => {
    const { engine, executor } = setup();
    expect((await executor.execute(request('a'), hot, never)).status).toBe('SUCCEEDED');
    expect((await executor.execute(request('timeout'), hot, never)).status).toBe('TIMED_OUT');
    const after = await executor.execute(request('b'), hot, never);
    expect(after.status).toBe('SUCCEEDED');
    expect(engine.containers.size).toBe(2);
    expect(engine.live()).toHaveLength(1);
    expect(engine.live()[0]?.tasks[0]?.codeTarB64).not.toBeNull();
  });

  it('kills and discards the container of a cancelled or silent task', async () => {
    const { engine, executor } = setup();
    const ctl = new AbortController();
    const running = executor.execute(request('hang'), hot, ctl.signal);
    await sleep(20);
    ctl.abort();
    expect((await running).status).toBe('CANCELLED');
    const silent = await executor.execute(request('hang', { timeoutMs: 20 }), hot, never);
    expect(silent.status).toBe('TIMED_OUT');
    await sleep(10);
    expect(engine.live()).toHaveLength(0);
    expect(engine.containers.size).toBe(2);
  });

  it('removes idle containers after the idle time and all of them on close', async () => {
    const { engine, executor } = setup(60);
    await executor.execute(request('a'), hot, never);
    expect(engine.live()).toHaveLength(1);
    await sleep(150);
    expect(engine.live()).toHaveLength(0);
    expect(executor.containerCounts()).toEqual({});
    await executor.execute(request('b'), hot, never);
    await executor.execute(
      request('c', { hot: { ...hot, packageKey: 'tx@4#sha256:e' } }),
      { ...hot, packageKey: 'tx@4#sha256:e' },
      never,
    );
    expect(engine.live()).toHaveLength(2);
    await executor.close();
    expect(engine.live()).toHaveLength(0);
  });

  it('a waiting task gives up on abort without taking a container', async () => {
    const { engine, executor } = setup();
    const first = executor.execute(request('slow'), hot, never);
    const ctl = new AbortController();
    const second = executor.execute(request('b'), hot, ctl.signal);
    await sleep(5);
    ctl.abort();
    expect((await second).status).toBe('CANCELLED');
    expect((await first).status).toBe('SUCCEEDED');
    expect(engine.live()[0]?.tasks).toHaveLength(1);
  });
});

describe('IsolationRouter', () => {
  it('sends hot requests to the hot executor and the rest to the fresh one', async () => {
    const { engine, executor } = setup();
    const freshCalls: string[] = [];
    const fresh: ExecutorPort = {
      execute: async (r) => {
        freshCalls.push(r.taskId);
        return { ...(await executor.execute(r, hot, never)), reason: 'fresh' };
      },
      prewarm: () => {},
      warmCounts: () => ({ shell: 2 }),
      close: async () => {},
    };
    const functions = new FunctionExecutor(
      engine,
      { ...options, pipelineDepth: 2, loadTimeoutMs: 1000, callSocket: null },
      () => {},
    );
    const router = new IsolationRouter(fresh, executor, functions);
    const { hot: _hot, ...plain } = request('x');
    await router.execute(plain, never);
    expect((await router.execute(request('y'), never)).reason).toBeNull();
    expect(freshCalls).toEqual(['t-x']);
    expect(router.warmCounts()).toEqual({ shell: 2 });
    await router.close();
    expect(engine.live()).toHaveLength(0);
  });
});
