import { afterEach, describe, expect, it } from 'vitest';
import { ContainerExecutor } from '../../src/containers/container-executor.js';
import { SECRETS_TMPFS_BYTES, taskContainerSpec } from '../../src/containers/container-spec.js';
import { executorOptions } from '../../src/containers/executor-options.js';
import { FunctionExecutor } from '../../src/containers/function-executor.js';
import { HotExecutor } from '../../src/containers/hot-executor.js';
import type { CodePackage } from '../../src/domain/code-package.js';
import type { ExecutionRequest, HotIsolation } from '../../src/domain/executor-port.js';
import type { StackCatalogPort } from '../../src/domain/stack-catalog-port.js';
import { ExecutionPlanner } from '../../src/execution/execution-planner.js';
import { SecretResolver } from '../../src/secrets/secret-resolver.js';
import type { SecretSourcePort } from '../../src/secrets/secret-source-port.js';
import { MB, plannerDefaults } from '../support/planner-defaults.js';
import { taskEvent } from '../support/task-event.js';
import { FakeEngine, type FakeLauncher, resultFrame } from './containers-fake-engine.js';

const values: Record<string, string> = { DB: 'db-secret-1', KEY: 'key-bytes\n' };
const source: SecretSourcePort = {
  lookup: async (name) =>
    values[name] === undefined
      ? { kind: 'absent', looked: `file /etc/berth/secrets/${name}` }
      : { kind: 'found', value: new Uint8Array(Buffer.from(values[name] ?? '')) },
};
const stacks: StackCatalogPort = {
  resolve: async (name) => ({
    name,
    language: 'node',
    version: '20',
    imageId: 'sha256:n20',
    runtime: 'node',
  }),
  list: async () => [],
};
const pkg = (over: Partial<CodePackage['manifest']> = {}): CodePackage => ({
  name: 'db',
  revision: 4,
  digest: 'sha256:d',
  manifest: {
    name: 'db',
    stack: 'node-20',
    command: ['node', 'a.js'],
    timeoutMs: 1000,
    memoryBytes: 32 * MB,
    env: { MODE: 'x' },
    network: false,
    maxAttempts: 1,
    retryDelayMs: 0,
    maxConcurrency: 0,
    isolation: 'HOT',
    handler: null,
    secrets: [
      { name: 'DB', as: 'env' },
      { name: 'KEY', as: 'file' },
    ],
    ...over,
  },
  tarball: new Uint8Array([1]),
  createdAtMs: 0,
});
const event = taskEvent({
  id: 't',
  code: { name: 'db', revision: 4 },
  inline: null,
  payload: Buffer.from('p'),
});
const planner = (p: CodePackage) =>
  new ExecutionPlanner(stacks, { resolve: async () => p }, plannerDefaults, new SecretResolver([source]));

describe('planning a package with secrets', () => {
  it('env secrets join env, file secrets become secretFiles, the HOT key carries a fingerprint', async () => {
    const r = await planner(pkg()).plan(event);
    if (!r.ok) throw new Error(r.rejection.reason);
    const req = r.plan.request;
    expect(req.env).toEqual({ MODE: 'x', DB: 'db-secret-1' });
    expect(req.secretFiles?.map((f) => [f.name, Buffer.from(f.data).toString()])).toEqual([
      ['KEY', 'key-bytes\n'],
    ]);
    expect(req.hot?.packageKey).toMatch(/^db@4#sha256:d#secrets:[0-9a-f]{16}$/);
    expect(req.hot?.packageKey).not.toContain('db-secret-1');
    expect(r.plan.redactor?.text('x db-secret-1 key-bytes')).toBe('x [redacted:DB] [redacted:KEY]');
    values.DB = 'db-secret-2';
    const rotated = await planner(pkg()).plan(event);
    values.DB = 'db-secret-1';
    expect(rotated.ok && rotated.plan.request.hot?.packageKey).not.toBe(req.hot?.packageKey);
  });

  it('a missing secret rejects the task naming it and where the worker looked', async () => {
    const r = await planner(pkg({ secrets: [{ name: 'MISSING', as: 'env' }] })).plan(event);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.rejection).toMatchObject({ codeName: 'db', codeRevision: 4, codeDigest: 'sha256:d' });
    expect(r.rejection.reason).toBe(
      "code package 'db@4' needs secrets this worker cannot give: secret 'MISSING' is not provided (looked for file /etc/berth/secrets/MISSING)",
    );
  });

  it('a package without secrets is planned as before (no files, no redactor)', async () => {
    const r = await planner(pkg({ secrets: [], isolation: 'FRESH' })).plan(event);
    expect(r.ok && [r.plan.request.secretFiles, r.plan.redactor, r.plan.request.env]).toEqual([
      undefined,
      null,
      { MODE: 'x' },
    ]);
  });
});

const options = {
  ...executorOptions({
    workerId: 'w1',
    backstopGraceMs: 50,
    readyTimeoutMs: 500,
    exitStateWaitMs: 50,
    extraLabels: { 'berth.test': '1' },
  }),
  idleMs: 60_000,
  pipelineDepth: 4,
  loadTimeoutMs: 1000,
  callSocket: null,
};
const secretFiles = [{ name: 'KEY', data: new Uint8Array(Buffer.from('key-bytes')) }];
function request(over: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return {
    taskId: 't1',
    attempt: 1,
    stack: 'node-20',
    imageId: 'sha256:aaa',
    command: ['node', 'a.js'],
    env: {},
    payload: new Uint8Array(Buffer.from('p')),
    codeTar: null,
    timeoutMs: 1000,
    memoryBytes: options.defaultLimits.memoryBytes,
    nanoCpus: options.defaultLimits.nanoCpus,
    pidsLimit: options.defaultLimits.pidsLimit,
    network: false,
    stdoutCapBytes: 1024,
    stderrCapBytes: 1024,
    outputCapBytes: 1024,
    secretFiles,
    ...over,
  };
}
const never = new AbortController().signal;
/** Answers every task frame, recording how many secret files were written when it arrived. */
const recording =
  (seen: number[]): FakeLauncher =>
  (task, c) => {
    seen.push(c.execs.length);
    if (task.type === 'function') return c.frame({ type: 'loaded', atMs: 1 });
    if (task.type === 'call')
      return c.frame({
        ...resultFrame(),
        taskId: task.taskId,
        status: 'ok',
        valueKind: 'null',
        valueB64: null,
      });
    c.frame({ type: 'started', atMs: 1 });
    c.frame(resultFrame());
    if (task.keepAlive === true) c.frame({ type: 'ready' });
    else c.exit();
  };
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe('secret files reach every kind of container before the task', () => {
  it('containers get a private tmpfs at /run/secrets', () => {
    const spec = taskContainerSpec({
      imageId: 'sha256:a',
      stack: 's',
      workerId: 'w',
      limits: options.defaultLimits,
      network: false,
      taskTmpfsBytes: 1,
      tmpTmpfsBytes: 1,
      extraLabels: {},
      nowMs: 0,
    });
    expect(spec.HostConfig?.Tmpfs?.['/run/secrets']).toBe(
      `rw,noexec,nosuid,nodev,size=${SECRETS_TMPFS_BYTES},uid=10001,gid=10001,mode=0700`,
    );
  });

  it('fresh: written by exec as the task user, value on stdin, before the handover', async () => {
    const seen: number[] = [];
    const engine = new FakeEngine({ launcher: recording(seen) });
    const ex = new ContainerExecutor(engine, options, () => {});
    closers.push(() => ex.close());
    const out = await ex.execute(request(), never);
    expect(out.status).toBe('SUCCEEDED');
    expect(seen).toEqual([1]);
    const [c] = [...engine.containers.values()];
    expect(c?.execs).toEqual([
      {
        command: ['/bin/sh', '-c', expect.stringContaining('cat > "/run/secrets/$1"'), 'berth-secret', 'KEY'],
        user: '10001:10001',
        stdin: 'key-bytes',
      },
    ]);
    expect(JSON.stringify(c?.execs[0]?.command)).not.toContain('key-bytes');
  });

  it('fresh: a failed write removes the container and fails the attempt as infrastructure', async () => {
    const engine = new FakeEngine({ launcher: recording([]), execExitCode: 1 });
    const ex = new ContainerExecutor(engine, options, () => {});
    closers.push(() => ex.close());
    await expect(ex.execute(request(), never)).rejects.toThrow(/secret file \/run\/secrets\/KEY not written/);
    await ex.close();
    expect(engine.live()).toEqual([]);
  });

  it('HOT process: written once per container, before its first task', async () => {
    const seen: number[] = [];
    const engine = new FakeEngine({ launcher: recording(seen) });
    const ex = new HotExecutor(engine, options, () => {});
    closers.push(() => ex.close());
    const hot: HotIsolation = { packageKey: 'db@4#d#secrets:aa', packageName: 'db', maxContainers: 1 };
    for (const id of ['a', 'b'])
      expect((await ex.execute(request({ taskId: id, hot }), hot, never)).status).toBe('SUCCEEDED');
    expect(seen).toEqual([1, 1]);
    expect(engine.containers.size).toBe(1);
  });

  it('HOT function: written before the init frame, so the handler can read them at load', async () => {
    const seen: number[] = [];
    const engine = new FakeEngine({ launcher: recording(seen) });
    const ex = new FunctionExecutor(engine, options, () => {});
    closers.push(() => ex.close());
    const hot = { packageKey: 'db@4#d#secrets:bb', packageName: 'db', maxContainers: 1, handler: 'a.js:h' };
    const out = await ex.execute(request({ hot }), hot, never);
    expect(out.status).toBe('SUCCEEDED');
    const [c] = [...engine.containers.values()];
    expect(c?.tasks.map((t) => t.type)).toEqual(['function', 'call']);
    expect(seen).toEqual([1, 1]);
  });
});
