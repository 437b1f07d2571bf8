/**
 * Entry point of observability for one worker: Prometheus metrics (own registry), the HTTP endpoint
 * (/metrics, /healthz, /readyz) and OpenTelemetry task spans. The composition root calls
 * `startObservability` once and passes `telemetry` to the worker's parts.
 */
import { InfraError } from '../domain/infra-error.js';
import type { TelemetryPort } from '../domain/telemetry-port.js';
import { workerGroupId } from '../kafka/topic-names.js';
import { startMetricsServer } from './metrics-server.js';
import { TaskTracer } from './task-tracer.js';
import { acquireTracing } from './tracing-sdk.js';
import { WorkerMetrics } from './worker-metrics.js';
import { WorkerTelemetry } from './worker-telemetry.js';
import { workerVersion } from './worker-version.js';

export interface ObservabilityOptions {
  readonly workerId: string;
  readonly serviceName: string; // 'berth-worker'
  readonly metricsHost: string; // '127.0.0.1' default; '0.0.0.0' in compose
  readonly metricsPort: number; // 0 = pick a free port; -1 = no HTTP server
  /** Probed by /readyz; ready only when both are true. */
  readonly readiness: () => Promise<{ kafka: boolean; docker: boolean }>;
  /** Kafka consumer group recorded on task spans; defaults to `workerGroupId()` (`berth-workers`). */
  readonly consumerGroup?: string;
}

export interface Observability {
  readonly telemetry: TelemetryPort;
  /** e.g. 'http://127.0.0.1:9464' or null when no server. */
  readonly url: string | null;
  /**
   * Marks the worker as draining (call when shutdown begins, before waiting for running tasks):
   * `berth_worker_up` becomes 0 and /readyz answers 503 with `draining: true`. Idempotent.
   */
  markDraining(): void;
  close(): Promise<void>; // idempotent
}

const READINESS_TIMEOUT_MS = 3_000;

/**
 * Creates the worker's metrics, starts tracing when the OTEL environment asks for it, and serves
 * the HTTP endpoint unless `metricsPort` is -1. Rejects with a non-retriable InfraError (nothing
 * left running) when the port cannot be bound, and with a RangeError for invalid options.
 */
export async function startObservability(opts: ObservabilityOptions): Promise<Observability> {
  validate(opts);
  const version = workerVersion();
  const metrics = new WorkerMetrics({ workerId: opts.workerId, version });
  const tracing = acquireTracing(opts.serviceName);
  const tracer = new TaskTracer({
    workerId: opts.workerId,
    consumerGroup: opts.consumerGroup ?? workerGroupId(),
    version,
  });
  let draining = false;
  let server: Awaited<ReturnType<typeof startMetricsServer>> | null = null;
  if (opts.metricsPort !== -1) {
    try {
      server = await startMetricsServer({
        host: opts.metricsHost,
        port: opts.metricsPort,
        registry: metrics.registry,
        readiness: opts.readiness,
        readinessTimeoutMs: READINESS_TIMEOUT_MS,
        draining: () => draining,
      });
    } catch (err) {
      await tracing.release();
      throw bindError(opts, err);
    }
  }
  let closing: Promise<void> | null = null;
  return {
    telemetry: new WorkerTelemetry(metrics, tracer),
    url: server?.url ?? null,
    markDraining: () => {
      draining = true;
      metrics.workerUp.set(0);
    },
    close: () => {
      closing ??= (async () => {
        metrics.workerUp.set(0);
        await server?.close();
        await tracing.release();
      })();
      return closing;
    },
  };
}

function validate(opts: ObservabilityOptions): void {
  const port = opts.metricsPort;
  if (!Number.isInteger(port) || port < -1 || port > 65_535) {
    throw new RangeError(`metricsPort must be an integer in -1..65535, got ${port}`);
  }
  if (opts.workerId.trim() === '') throw new RangeError('workerId must not be empty');
}

function bindError(opts: ObservabilityOptions, err: unknown): InfraError {
  const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
  return new InfraError(`cannot serve metrics on ${opts.metricsHost}:${opts.metricsPort}: ${code}`, {
    retriable: false,
    component: 'config',
    cause: err,
  });
}
