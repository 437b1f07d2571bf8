import { describe, expect, it } from 'vitest';
import type { CodePackage } from '../../src/domain/code-package.js';
import type { StackCatalogPort } from '../../src/domain/stack-catalog-port.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import { ExecutionPlanner } from '../../src/execution/execution-planner.js';
import { MB, plannerDefaults } from '../support/planner-defaults.js';
import { taskEvent } from '../support/task-event.js';

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
const defaults = plannerDefaults;
const event: TaskEvent = taskEvent({
  id: 'x',
  code: { name: 'tx', revision: null },
  inline: null,
  payload: Buffer.from('p'),
});

function planner(manifest: Partial<CodePackage['manifest']>): ExecutionPlanner {
  const pkg: CodePackage = {
    name: 'tx',
    revision: 3,
    digest: 'sha256:d',
    manifest: {
      name: 'tx',
      stack: 'node-20',
      command: ['node', 'v.js'],
      timeoutMs: 1000,
      memoryBytes: 64 * MB,
      env: {},
      network: false,
      maxAttempts: 1,
      retryDelayMs: 0,
      maxConcurrency: 4,
      isolation: 'FRESH',
      handler: null,
      secrets: [],
      ...manifest,
    },
    tarball: new Uint8Array([1]),
    createdAtMs: 0,
  };
  return new ExecutionPlanner(stacks, { resolve: async () => pkg }, defaults);
}

async function requestOf(p: ExecutionPlanner) {
  const r = await p.plan(event);
  if (!r.ok) throw new Error(r.rejection.reason);
  return r.plan.request;
}

describe('ExecutionPlanner, isolation', () => {
  it('marks HOT package requests with the revision key and container cap', async () => {
    const request = await requestOf(planner({ isolation: 'HOT' }));
    expect(request.hot).toEqual({ packageKey: 'tx@3#sha256:d', packageName: 'tx', maxContainers: 4 });
    expect(request.memoryBytes).toBe(64 * MB);
  });

  it('caps a HOT package with unlimited concurrency at one container', async () => {
    const request = await requestOf(planner({ isolation: 'HOT', maxConcurrency: 0 }));
    expect(request.hot?.maxContainers).toBe(1);
  });

  it('leaves FRESH package requests unmarked', async () => {
    expect((await requestOf(planner({}))).hot).toBeUndefined();
  });
});
