import type { WorkerConfig } from '../config/worker-config.js';
import { probeEngine } from '../containers/engine-probe.js';
import { probeBroker } from '../kafka/broker-probe.js';
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

/**
 * Composition root of `berth worker`: observability, the worker, and SIGTERM/SIGINT (drain, then
 * exit 0). Resolves with the exit code once the worker stopped: 0 after a signal, 1 when it
 * stopped by itself (a consumer failed for good). The only place that installs signal handlers.
 */
export async function startWorkerProcess(config: WorkerConfig): Promise<number> {
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
