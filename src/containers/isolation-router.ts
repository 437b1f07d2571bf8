import type { ExecutionOutcome, ExecutionRequest, ExecutorPort } from '../domain/executor-port.js';
import type { HotExecutor } from './hot-executor.js';

/**
 * The worker's `ExecutorPort`: requests marked `hot` (code packages with `"isolation": "HOT"`)
 * run in the hot executor's long-lived containers, everything else in fresh containers.
 * Prewarming and warm counts concern fresh containers only; `close` closes both.
 */
export class IsolationRouter implements ExecutorPort {
  constructor(
    private readonly fresh: ExecutorPort,
    private readonly hot: HotExecutor,
  ) {}

  execute(request: ExecutionRequest, signal: AbortSignal): Promise<ExecutionOutcome> {
    return request.hot === undefined
      ? this.fresh.execute(request, signal)
      : this.hot.execute(request, request.hot, signal);
  }

  prewarm(stack: string, imageId: string, count: number): void {
    this.fresh.prewarm(stack, imageId, count);
  }

  warmCounts(): Readonly<Record<string, number>> {
    return this.fresh.warmCounts();
  }

  async close(): Promise<void> {
    await Promise.all([this.hot.close(), this.fresh.close()]);
  }
}
