import { enableSchemaRegistry } from '../codecs/schema-registry.js';
import type { WorkerConfig } from '../config/worker-config.js';
import { checkEngine, probeEngine } from '../containers/engine-probe.js';
import { checkBroker, probeBroker } from '../kafka/broker-probe.js';
import { workerGroupId } from '../kafka/topic-names.js';
import { startObservability } from '../observability/observability.js';
import { composeWorker } from './compose-worker.js';

function log(line: string): void {
  process.stderr.write(`berth worker: ${line}\n`);
}

function dockerSocket(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

/** How long the start-up checks wait for Kafka and for the Docker engine (in parallel). */
const PREFLIGHT_KAFKA_MS = 5000;
const PREFLIGHT_DOCKER_MS = 3000;

/**
 * Checks, before anything starts, that Kafka and the Docker engine answer; prints one line per
 * one that does not (Kafka first) and returns false. A worker that cannot reach either would
 * only retry and fail much later with less telling messages.
 */
async function preflight(config: WorkerConfig): Promise<boolean> {
  const socket = dockerSocket();
  const [kafka, docker] = await Promise.all([
    checkBroker(config.brokers, { timeoutMs: PREFLIGHT_KAFKA_MS }),
    checkEngine(socket, PREFLIGHT_DOCKER_MS),
  ]);
  if (!kafka.ok) log(`cannot reach Kafka at ${config.brokers.join(',')}: ${kafka.reason}`);
  if (!docker.ok) log(`cannot reach the Docker engine at ${socket}: ${docker.reason}`);
  return kafka.ok && docker.ok && (await registryPreflight(config));
}

/**
 * Registry mode: registers Berth's schemas (subjects `<topic>-value`) so results, retries and
 * stats are framed with the registry's ids; from then on unknown ids are looked up per record.
 * Logs one line and returns false when the registry cannot be reached or refuses.
 */
async function registryPreflight(config: WorkerConfig): Promise<boolean> {
  const registry = config.schemaRegistry;
  if (registry === null) return true;
  try {
    await enableSchemaRegistry(registry, { topicPrefix: config.topicPrefix });
    log(`schema registry mode: ${registry.url}`);
    return true;
  } catch (err) {
    log(`cannot use the schema registry at ${registry.url}: ${(err as Error).message}`);
    return false;
  }
}

/**
 * Composition root of `berth worker`: start-up checks, observability, the worker, and
 * SIGTERM/SIGINT (drain, then exit 0). Resolves with the exit code once the worker stopped: 0
 * after a signal, 1 when it stopped by itself (a consumer failed for good) or when Kafka or the
 * Docker engine does not answer at start (within 5 s). The only place that installs signal handlers.
 */
export async function startWorkerProcess(config: WorkerConfig): Promise<number> {
  if (!(await preflight(config))) return 1;
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
  const worker = composeWorker(config, { telemetry: observability.telemetry, log });
  const stopped = new Promise<number>((resolve) => {
    worker.onFatal(() => resolve(1));
    const onSignal = (signal: string) => {
      log(`${signal}: draining (deadline ${config.drainDeadlineMs} ms)`);
      observability.markDraining(); // berth_worker_up 0, /readyz 503 while running tasks finish
      worker.close().then(
        () => resolve(0),
        (err: unknown) => {
          log(`error while stopping: ${(err as Error).message}`);
          resolve(0);
        },
      );
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
  const code = await stopped;
  await observability.close();
  log('stopped');
  return code;
}
