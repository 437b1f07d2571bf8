import type { WorkerConfig } from '../config/worker-config.js';
import { ContainerExecutor } from '../containers/container-executor.js';
import type { DockerEnginePort } from '../containers/docker-engine-port.js';
import { executorOptions } from '../containers/executor-options.js';
import { FunctionExecutor } from '../containers/function-executor.js';
import { HotExecutor } from '../containers/hot-executor.js';
import { IsolationRouter } from '../containers/isolation-router.js';
import type { ExecutorPort } from '../domain/executor-port.js';

/** Longest wait for a function runtime to load its handler (Java compiles sources at load). */
const FUNCTION_LOAD_TIMEOUT_MS = 20_000;

/**
 * The worker's executor: fresh containers from warm pools for every task, except tasks of HOT
 * code packages, which go to long-lived per-revision containers (removed after `hotIdleMs` idle):
 * a process per task, or with a handler a runtime serving pipelined calls (function mode).
 * All three create their containers through one `SessionFactory`, labelled with `installation()`.
 */
export function composeExecutor(
  config: WorkerConfig,
  engine: DockerEnginePort,
  log: (line: string) => void,
  installation: () => string,
): ExecutorPort {
  const options = executorOptions({
    workerId: config.workerId,
    defaultLimits: {
      memoryBytes: config.defaultMemoryBytes,
      nanoCpus: config.defaultNanoCpus,
      pidsLimit: config.defaultPidsLimit,
    },
    extraLabels: config.containerLabels,
    installation,
  });
  const fresh = new ContainerExecutor(engine, options, log);
  const hot = new HotExecutor(engine, { ...options, idleMs: config.hotIdleMs }, log);
  const functions = new FunctionExecutor(
    engine,
    {
      ...options,
      idleMs: config.hotIdleMs,
      pipelineDepth: config.functionPipelineDepth,
      loadTimeoutMs: FUNCTION_LOAD_TIMEOUT_MS,
      callSocket:
        config.callSocket === null
          ? null
          : {
              ...(config.callSocket.dir === null ? {} : { dir: config.callSocket.dir }),
              ...(config.callSocket.volume === null ? {} : { volume: config.callSocket.volume }),
            },
    },
    log,
  );
  return new IsolationRouter(fresh, hot, functions);
}
