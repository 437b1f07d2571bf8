import { ContainerExecutor } from '../containers/container-executor.js';
import type { DockerEnginePort } from '../containers/docker-engine-port.js';
import { executorOptions } from '../containers/executor-options.js';
import { HotExecutor } from '../containers/hot-executor.js';
import type { ExecutionRequest } from '../domain/executor-port.js';
import { benchRequest } from './handover-latency.js';

export interface HotVsFresh {
  readonly freshTasksPerSecond: number;
  readonly hotTasksPerSecond: number;
}

/** Runs `count` requests with `concurrency` in flight; tasks/s over the whole run. */
async function tasksPerSecond(
  count: number,
  concurrency: number,
  run: (i: number) => Promise<string>,
): Promise<number> {
  let next = 0;
  const t0 = Date.now();
  const lane = async () => {
    for (let i = next++; i < count; i = next++) {
      const status = await run(i);
      if (status !== 'SUCCEEDED') throw new Error(`bench task ${i} ended ${status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return count / ((Date.now() - t0) / 1000);
}

/**
 * Executor-level throughput of a trivial task (`true`), `concurrency` at a time: fresh isolation
 * (a warm pool of `concurrency` containers, one container per task) against hot isolation
 * (`concurrency` long-lived containers of one package revision). Both are measured after a
 * warm-up, so neither pays its first container creations.
 */
export async function hotVsFresh(
  engine: DockerEnginePort,
  stack: string,
  imageId: string,
  labels: Readonly<Record<string, string>>,
  count: number,
  concurrency: number,
): Promise<HotVsFresh> {
  const options = executorOptions({
    workerId: `${labels['berth.bench-run'] ?? 'bench'}-hot`,
    extraLabels: labels,
  });
  const never = new AbortController().signal;
  const req = (i: number): ExecutionRequest => benchRequest(stack, imageId, ['true'], i);

  const fresh = new ContainerExecutor(engine, options, () => {});
  fresh.prewarm(stack, imageId, concurrency);
  await tasksPerSecond(
    concurrency * 2,
    concurrency,
    async (i) => (await fresh.execute(req(i), never)).status,
  );
  const freshRate = await tasksPerSecond(
    count,
    concurrency,
    async (i) => (await fresh.execute(req(i), never)).status,
  );
  await fresh.close();

  const hot = new HotExecutor(engine, { ...options, idleMs: 60_000 }, () => {});
  const target = { packageKey: 'bench@1#none', packageName: 'bench', maxContainers: concurrency };
  const runHot = async (i: number) => (await hot.execute({ ...req(i), hot: target }, target, never)).status;
  await tasksPerSecond(concurrency * 2, concurrency, runHot);
  const hotRate = await tasksPerSecond(count, concurrency, runHot);
  await hot.close();
  return { freshTasksPerSecond: freshRate, hotTasksPerSecond: hotRate };
}
