import type { ExecutionOutcome, ExecutionRequest, ExecutorPort } from '../domain/executor-port.js';
import { ContainerLostError } from '../domain/infra-error.js';
import type { CancelSignal } from '../domain/task-cancel.js';
import { NO_OUTPUT } from '../domain/task-result.js';

/** Times one attempt may lose its container before the attempt counts as FAILED. */
export const MAX_CONTAINER_LOSSES = 3;

/**
 * Wraps `executor.execute` for the worker's infrastructure retry loop: a `ContainerLostError` is
 * rethrown (and retried) until the same attempt has lost its container `maxLosses` times, then
 * the attempt resolves as FAILED with the reason, so it goes through the task's normal retry/DLQ
 * route instead of being re-run forever. Every other error passes through untouched.
 */
export function executeWithLossLimit(
  executor: ExecutorPort,
  request: ExecutionRequest,
  signal: CancelSignal,
  now: () => number,
  maxLosses = MAX_CONTAINER_LOSSES,
): () => Promise<ExecutionOutcome> {
  let losses = 0;
  return async () => {
    try {
      return await executor.execute(request, signal);
    } catch (err) {
      if (!(err instanceof ContainerLostError) || ++losses < maxLosses) throw err;
      return {
        ...NO_OUTPUT,
        status: 'FAILED',
        exitCode: null,
        reason: `container lost ${losses} times without a result (last: ${err.message})`,
        startedAtMs: null,
        finishedAtMs: now(),
      };
    }
  };
}
