import { controlCodec } from '../codecs/control-codec.js';
import { taskEventCodec } from '../codecs/task-event-codec.js';
import { taskResultCodec } from '../codecs/task-result-codec.js';
import { workerStatsCodec } from '../codecs/worker-stats-codec.js';
import type { WorkerConfig } from '../config/worker-config.js';
import { ContainerExecutor } from '../containers/container-executor.js';
import { DockerodeEngine } from '../containers/dockerode-engine.js';
import { probeEngine } from '../containers/engine-probe.js';
import { executorOptions } from '../containers/executor-options.js';
import { DockerImageStore } from '../containers/image-store.js';
import { ContainerReaper } from '../containers/reaper.js';
import { noCodePackages } from '../execution/execution-planner.js';
import { probeBroker } from '../kafka/broker-probe.js';
import { createKafka } from '../kafka/kafka-connection.js';
import { workerGroupId } from '../kafka/topic-names.js';
import { startObservability } from '../observability/observability.js';
import { StackCatalog } from '../stacks/stack-catalog.js';
import { Worker } from './worker.js';
import { WorkerLiveness } from './worker-liveness.js';

function log(line: string): void {
  process.stderr.write(`berth worker: ${line}\n`);
}

function dockerSocket(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

/**
 * Composition root of `berth worker`: wires the real Kafka client, Docker engine, stack catalog
 * and observability into a Worker, handles SIGTERM/SIGINT (drain, then exit 0) and resolves with
 * the exit code once the worker stopped. The only place that installs signal handlers.
 */
export async function startWorkerProcess(config: WorkerConfig): Promise<number> {
  const kafka = createKafka({ brokers: config.brokers, clientId: `berth-worker-${config.workerId}` });
  const engine = new DockerodeEngine();
  const liveness = new WorkerLiveness(config.workerId, config.statsIntervalMs * config.deadAfterIntervals);
  const executor = new ContainerExecutor(
    engine,
    executorOptions({
      workerId: config.workerId,
      defaultLimits: {
        memoryBytes: config.defaultMemoryBytes,
        nanoCpus: config.defaultNanoCpus,
        pidsLimit: config.defaultPidsLimit,
      },
      extraLabels: config.containerLabels,
    }),
    log,
  );
  const reaper = new ContainerReaper(engine, {
    workerId: config.workerId,
    isWorkerAlive: (id) => liveness.isAlive(id),
    minAgeMs: config.statsIntervalMs * config.deadAfterIntervals,
    intervalMs: config.reaperIntervalMs,
    extraLabels: config.containerLabels,
    onError: (err) => log(`reaper: ${(err as Error).message}`),
  });
  const observability = await startObservability({
    workerId: config.workerId,
    serviceName: 'berth-worker',
    metricsHost: config.metricsHost,
    metricsPort: config.metricsPort,
    consumerGroup: workerGroupId(config.topicPrefix),
    readiness: async () => {
      const [k, d] = await Promise.all([
        probeBroker(config.brokers, { createTopic: false, timeoutMs: 2000 }),
        probeEngine(dockerSocket(), 2000),
      ]);
      return { kafka: k !== null, docker: d !== null };
    },
  });
  const worker = new Worker({
    config,
    kafka,
    executor,
    stacks: new StackCatalog(new DockerImageStore()),
    code: noCodePackages,
    telemetry: observability.telemetry,
    codecs: {
      event: taskEventCodec,
      result: taskResultCodec,
      stats: workerStatsCodec,
      control: controlCodec,
    },
    liveness,
    reaper,
    log,
  });
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      log(`${signal}: draining (deadline ${config.drainDeadlineMs} ms)`);
      worker.close().then(resolve, (err: unknown) => {
        log(`error while stopping: ${(err as Error).message}`);
        resolve();
      });
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  try {
    await worker.start();
    if (observability.url) log(`metrics on ${observability.url}/metrics`);
  } catch (err) {
    await worker.close().catch(() => undefined);
    await observability.close();
    throw err;
  }
  await stopped;
  await observability.close();
  log('stopped');
  return 0;
}
