import { createKafkaCodeCatalog } from '../code/kafka-code-catalog.js';
import { controlCodec } from '../codecs/control-codec.js';
import { taskEventCodec } from '../codecs/task-event-codec.js';
import { taskResultCodec } from '../codecs/task-result-codec.js';
import { workerStatsCodec } from '../codecs/worker-stats-codec.js';
import type { WorkerConfig } from '../config/worker-config.js';
import { DockerodeEngine } from '../containers/dockerode-engine.js';
import { DockerImageStore } from '../containers/image-store.js';
import { ContainerReaper } from '../containers/reaper.js';
import { Installation, installationIdOf } from '../domain/installation.js';
import type { TelemetryPort } from '../domain/telemetry-port.js';
import { fetchClusterId } from '../kafka/cluster-id.js';
import { createKafka } from '../kafka/kafka-connection.js';
import { topicNames } from '../kafka/topic-names.js';
import { ScheduleService } from '../schedules/schedule-service.js';
import { StackCatalog } from '../stacks/stack-catalog.js';
import { composeExecutor } from './compose-executor.js';
import { Worker, type WorkerCodeResolver } from './worker.js';
import { WorkerLiveness } from './worker-liveness.js';

export interface ComposeOptions {
  readonly telemetry: TelemetryPort;
  readonly log: (line: string) => void;
  /** Code packages; default: the catalog following berth.code. */
  readonly code?: WorkerCodeResolver;
}

/**
 * Wires a Worker from real parts: KafkaJS client, Docker engine executor with its warm pools
 * (and hot containers for HOT code packages),
 * the stack catalog over local images, the orphan reaper fed by heartbeats, the scheduler
 * (schedules/schedule-service.ts). No signal handling.
 * The installation id (`--installation-id`, else `<cluster id>/<prefix>` from the broker) is
 * resolved at worker start (`ContainerUpkeep.start`, before the first container is reaped or
 * created); executor and reaper read it from then on.
 */
export function composeWorker(config: WorkerConfig, opts: ComposeOptions): Worker {
  const kafka = createKafka({
    brokers: config.brokers,
    clientId: `berth-worker-${config.workerId}`,
    security: config.kafkaSecurity,
  });
  const engine = new DockerodeEngine();
  const deadAfterMs = config.statsIntervalMs * config.deadAfterIntervals;
  const liveness = new WorkerLiveness(config.workerId, deadAfterMs);
  const explicitId = config.installationId;
  const installation =
    explicitId === null
      ? new Installation(async () => installationIdOf(await fetchClusterId(kafka), config.topicPrefix))
      : Installation.of(explicitId);
  const installationId = () => installation.id;
  const executor = composeExecutor(config, engine, opts.log, installationId);
  const reaper = new ContainerReaper(engine, {
    workerId: config.workerId,
    installation: installationId,
    isWorkerAlive: (id) => liveness.isAlive(id),
    minAgeMs: deadAfterMs,
    intervalMs: config.reaperIntervalMs,
    extraLabels: config.containerLabels,
    onError: (err) => opts.log(`reaper: ${(err as Error).message}`),
  });
  const topics = topicNames(config.topicPrefix);
  const schedules = new ScheduleService({
    kafka,
    topics,
    topicPrefix: config.topicPrefix,
    workerId: config.workerId,
    sessionTimeoutMs: config.sessionTimeoutMs,
    log: opts.log,
  });
  return new Worker({
    config,
    kafka,
    executor,
    stacks: new StackCatalog(new DockerImageStore()),
    code:
      opts.code ??
      createKafkaCodeCatalog({
        kafka,
        topic: topics.code,
        cacheDir: config.codeCacheDir,
        log: opts.log,
      }),
    telemetry: opts.telemetry,
    codecs: {
      event: taskEventCodec,
      result: taskResultCodec,
      stats: workerStatsCodec,
      control: controlCodec,
    },
    liveness,
    installation,
    reaper,
    log: opts.log,
    services: [schedules],
  });
}
