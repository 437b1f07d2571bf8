/**
 * Process-wide OpenTelemetry tracing SDK. Started only when the standard OTEL environment asks for
 * traces (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 * `OTEL_TRACES_EXPORTER`, and not `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`);
 * otherwise nothing is started and the OpenTelemetry API stays a cheap no-op. Exporters, endpoint,
 * sampler and resource come from the standard OTEL_* variables. Metrics and logs stay off: metrics
 * are served by prom-client. Reference-counted, so several workers in one process share one SDK.
 */
import { NodeSDK } from '@opentelemetry/sdk-node';

export interface TracingHandle {
  readonly enabled: boolean;
  /** Flushes and, when the last user releases, shuts the SDK down. Idempotent. */
  release(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

let sdk: NodeSDK | null = null;
let users = 0;

/** True when the environment asks for trace export. */
export function tracingRequested(env: Env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (exporters.length > 0) return !exporters.every((e) => e === 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/** Starts the SDK if requested by `env` and not yet running; returns a handle to release it. */
export function acquireTracing(serviceName: string, env: Env = process.env): TracingHandle {
  if (!tracingRequested(env)) return { enabled: false, release: async () => {} };
  if (sdk === null) {
    sdk = new NodeSDK({
      serviceName: env.OTEL_SERVICE_NAME?.trim() || serviceName,
      metricReaders: [],
      logRecordProcessors: [],
    });
    sdk.start();
  }
  users += 1;
  let released = false;
  return {
    enabled: true,
    release: async () => {
      if (released) return;
      released = true;
      users -= 1;
      if (users > 0 || sdk === null) return;
      const running = sdk;
      sdk = null;
      // Shutdown flushes pending spans; an unreachable collector must not block or fail shutdown.
      await running.shutdown().catch(() => {});
    },
  };
}
