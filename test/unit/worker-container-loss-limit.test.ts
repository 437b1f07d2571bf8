import { describe, expect, it } from 'vitest';
import type { ExecutionOutcome, ExecutionRequest, ExecutorPort } from '../../src/domain/executor-port.js';
import { ContainerLostError, InfraError } from '../../src/domain/infra-error.js';
import { NO_OUTPUT } from '../../src/domain/task-result.js';
import { executeWithLossLimit } from '../../src/worker/container-loss-limit.js';

const succeeded: ExecutionOutcome = {
  ...NO_OUTPUT,
  status: 'SUCCEEDED',
  exitCode: 0,
  reason: null,
  startedAtMs: 1,
  finishedAtMs: 2,
};

/** An executor that fails with the given errors in turn, then succeeds. */
function scripted(errors: Error[]): ExecutorPort & { calls: number } {
  const fake = {
    calls: 0,
    async execute(): Promise<ExecutionOutcome> {
      const err = errors[fake.calls++];
      if (err) throw err;
      return succeeded;
    },
    prewarm() {},
    warmCounts: () => ({}),
    close: async () => {},
  };
  return fake;
}

const request = {} as ExecutionRequest; // the fake never reads it
const signal = new AbortController().signal;

async function callUntilSettled(
  run: () => Promise<ExecutionOutcome>,
): Promise<{ outcome: ExecutionOutcome; thrown: Error[] }> {
  const thrown: Error[] = [];
  for (;;) {
    try {
      return { outcome: await run(), thrown };
    } catch (err) {
      thrown.push(err as Error);
    }
  }
}

describe('executeWithLossLimit', () => {
  it('rethrows container losses below the limit, then reports the attempt FAILED with the reason', async () => {
    const lost = (n: number) => new ContainerLostError(`container c${n} ended without a result`);
    const executor = scripted([lost(1), lost(2), lost(3), lost(4)]);
    const { outcome, thrown } = await callUntilSettled(
      executeWithLossLimit(executor, request, signal, () => 42, 3),
    );
    expect(thrown).toHaveLength(2);
    expect(executor.calls).toBe(3);
    expect(outcome.status).toBe('FAILED');
    expect(outcome.reason).toBe(
      'container lost 3 times without a result (last: container c3 ended without a result)',
    );
    expect(outcome.finishedAtMs).toBe(42);
    expect(outcome.startedAtMs).toBeNull();
  });

  it('returns the real outcome when a retry succeeds before the limit', async () => {
    const executor = scripted([new ContainerLostError('lost once')]);
    const { outcome, thrown } = await callUntilSettled(
      executeWithLossLimit(executor, request, signal, () => 0, 3),
    );
    expect(thrown).toHaveLength(1);
    expect(outcome).toBe(succeeded);
  });

  it('never turns other infrastructure errors into a task failure', async () => {
    const down = () => new InfraError('engine unreachable', { retriable: true, component: 'docker' });
    const executor = scripted([down(), down(), down(), down(), down()]);
    const { outcome, thrown } = await callUntilSettled(
      executeWithLossLimit(executor, request, signal, () => 0, 3),
    );
    expect(thrown).toHaveLength(5);
    expect(thrown.every((e) => !(e instanceof ContainerLostError))).toBe(true);
    expect(outcome.status).toBe('SUCCEEDED');
  });
});
