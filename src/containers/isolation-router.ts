import type { ExecutionOutcome, ExecutionRequest, ExecutorPort } from '../domain/executor-port.js';
import type { CancelSignal } from '../domain/task-cancel.js';
import type { FunctionExecutor } from './function-executor.js';
import type { HotExecutor } from './hot-executor.js';

/**
 * The worker's `ExecutorPort`: requests marked `hot` (code packages with `"isolation": "HOT"`)
 * run in long-lived containers — the function executor's when the package has a handler, the
 * hot executor's (a process per task) otherwise — everything else in fresh containers.
 * Prewarming and warm counts concern fresh containers only; `close` closes both.
 */
export class IsolationRouter implements ExecutorPort {
  constructor(
    private readonly fresh: ExecutorPort,
    private readonly hot: HotExecutor,
    private readonly functions: FunctionExecutor,
  ) {}

  execute(request: ExecutionRequest, signal: CancelSignal): Promise<ExecutionOutcome> {
    const hot = request.hot;
    if (hot === undefined) return this.fresh.execute(request, signal);
    const handler = hot.handler;
    if (handler !== undefined) return this.functions.execute(request, { ...hot, handler }, signal);
    return this.hot.execute(request, hot, signal);
  }

  prewarm(stack: string, imageId: string, count: number): void {
    this.fresh.prewarm(stack, imageId, count);
  }

  warmCounts(): Readonly<Record<string, number>> {
    return this.fresh.warmCounts();
  }

  async close(): Promise<void> {
    await Promise.all([this.hot.close(), this.functions.close(), this.fresh.close()]);
  }
}
