import { describe, expect, it } from 'vitest';
import type { CodePackage } from '../../src/domain/code-package.js';
import type { CodeResolverPort } from '../../src/domain/code-resolver-port.js';
import { InfraError } from '../../src/domain/infra-error.js';
import type { StackCatalogPort } from '../../src/domain/stack-catalog-port.js';
import { MAX_TASK_TIMEOUT_MS, type TaskEvent } from '../../src/domain/task-event.js';
import { ExecutionPlanner, noCodePackages } from '../../src/execution/execution-planner.js';
import { MB, plannerDefaults } from '../support/planner-defaults.js';
import { taskEvent } from '../support/task-event.js';

const stacks: StackCatalogPort = {
  resolve: async (name) =>
    name === 'node-20'
      ? { name, language: 'node', version: '20', imageId: 'sha256:n20', runtime: 'node' }
      : null,
  list: async () => [],
};
const defaults = plannerDefaults;
const base: TaskEvent = taskEvent({
  id: 'x',
  inline: { stack: 'node-20', command: ['node', '-e', '1'], env: { K: 'v' } },
  payload: Buffer.from('p'),
  priority: 2,
});
const pkg = (over: Partial<CodePackage['manifest']> = {}): CodePackage => ({
  name: 'etl',
  revision: 7,
  digest: 'sha256:d',
  manifest: {
    name: 'etl',
    stack: 'node-20',
    command: ['node', 'index.js'],
    timeoutMs: 1000,
    memoryBytes: 32 * MB,
    env: { E: '1' },
    network: false,
    maxAttempts: 4,
    retryDelayMs: 250,
    maxConcurrency: 2,
    isolation: 'FRESH',
    handler: null,
    secrets: [],
    ...over,
  },
  tarball: new Uint8Array([1]),
  createdAtMs: 0,
});

describe('ExecutionPlanner', () => {
  it('applies worker defaults to an inline task and pins the image', async () => {
    const r = await new ExecutionPlanner(stacks, noCodePackages, defaults).plan(base);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.request).toMatchObject({
      imageId: 'sha256:n20',
      memoryBytes: 256 * MB,
      timeoutMs: 300_000,
      nanoCpus: 5e8,
      pidsLimit: 100,
      network: false,
      env: { K: 'v' },
      outputCapBytes: 2 * MB,
      codeTar: null,
    });
    expect(r.plan).toMatchObject({ maxAttempts: 1, retryDelayMs: 1000, priority: 2, maxConcurrency: 0 });
  });

  it('task fields win over the manifest, the manifest over worker defaults', async () => {
    const code = { resolve: async () => pkg() };
    const planner = new ExecutionPlanner(stacks, code, defaults);
    const r = await planner.plan({
      ...base,
      inline: null,
      code: { name: 'etl', revision: 7 },
      timeoutMs: 5000,
      network: true,
    });
    expect(r.ok && r.plan.request).toMatchObject({
      timeoutMs: 5000,
      memoryBytes: 32 * MB,
      network: true,
      command: ['node', 'index.js'],
    });
    expect(r.ok && r.plan).toMatchObject({
      maxAttempts: 4,
      retryDelayMs: 250,
      maxConcurrency: 2,
      codeRevision: 7,
    });
  });

  it.each([
    [{ timeoutMs: MAX_TASK_TIMEOUT_MS + 1 }, /timeout/],
    [{ memoryBytes: 2048 * MB }, /budget/],
    [{ memoryBytes: 1024 }, /minimum/],
    [{ inline: { stack: 'fortran', command: ['x'], env: {} } }, /unknown stack 'fortran'/],
  ] as const)('rejects %o', async (over, reason) => {
    const r = await new ExecutionPlanner(stacks, noCodePackages, defaults).plan({
      ...base,
      ...over,
    } as TaskEvent);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.rejection.reason).toMatch(reason);
  });

  it('rejects an unknown package revision, naming it', async () => {
    const r = await new ExecutionPlanner(stacks, noCodePackages, defaults).plan({
      ...base,
      inline: null,
      code: { name: 'etl', revision: 3 },
    });
    expect(!r.ok && r.rejection).toMatchObject({
      codeName: 'etl',
      reason: "unknown code package 'etl' (revision 3)",
    });
  });

  it("carries the resolver's precise reason when it gives one", async () => {
    const calls: string[] = [];
    const code: CodeResolverPort = {
      resolve: async () => {
        calls.push('resolve');
        return null;
      },
      resolveOrReason: async (name, revision) => {
        calls.push(`reason ${name}@${revision}`);
        return { ok: false, reason: `code package '${name}' has no revision ${revision} (newest is 2)` };
      },
    };
    const r = await new ExecutionPlanner(stacks, code, defaults).plan({
      ...base,
      inline: null,
      code: { name: 'etl', revision: 9 },
    });
    expect(!r.ok && r.rejection).toMatchObject({
      codeName: 'etl',
      codeRevision: 9,
      reason: "code package 'etl' has no revision 9 (newest is 2)",
    });
    expect(calls).toEqual(['reason etl@9']);
  });

  it('plans with the package resolveOrReason returns', async () => {
    const code: CodeResolverPort = {
      resolve: async () => null,
      resolveOrReason: async () => ({ ok: true, pkg: pkg() }),
    };
    const r = await new ExecutionPlanner(stacks, code, defaults).plan({
      ...base,
      inline: null,
      code: { name: 'etl', revision: 7 },
    });
    expect(r.ok && r.plan).toMatchObject({ codeName: 'etl', codeRevision: 7, maxAttempts: 4 });
  });

  it('lets infrastructure errors of the ports propagate (the runner retries them)', async () => {
    const broken: StackCatalogPort = {
      resolve: async () => {
        throw new InfraError('engine down', { retriable: true, component: 'docker' });
      },
      list: async () => [],
    };
    await expect(new ExecutionPlanner(broken, noCodePackages, defaults).plan(base)).rejects.toBeInstanceOf(
      InfraError,
    );
  });
});
