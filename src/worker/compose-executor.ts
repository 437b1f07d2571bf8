import type { WorkerConfig } from '../config/worker-config.js';
import { ContainerExecutor } from '../containers/container-executor.js';
import type { DockerEnginePort } from '../containers/docker-engine-port.js';
import { executorOptions } from '../containers/executor-options.js';
import { HotExecutor } from '../containers/hot-executor.js';
import { IsolationRouter } from '../containers/isolation-router.js';
import type { ExecutorPort } from '../domain/executor-port.js';

/**
 * The worker's executor: fresh containers from warm pools for every task, except tasks of HOT
 * code packages, which go to long-lived per-revision containers (removed after `hotIdleMs` idle).
 */
export function composeExecutor(
  config: WorkerConfig,
  engine: DockerEnginePort,
  log: (line: string) => void,
): ExecutorPort {
  const options = executorOptions({
    workerId: config.workerId,
    defaultLimits: {
      memoryBytes: config.defaultMemoryBytes,
      nanoCpus: config.defaultNanoCpus,
      pidsLimit: config.defaultPidsLimit,
    },
    extraLabels: config.containerLabels,
  });
  const fresh = new ContainerExecutor(engine, options, log);
  const hot = new HotExecutor(engine, { ...options, idleMs: config.hotIdleMs }, log);
  return new IsolationRouter(fresh, hot);
}
