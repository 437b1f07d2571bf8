/**
 * TelemetryPort backed by prom-client metrics (WorkerMetrics) and OpenTelemetry task spans
 * (TaskTracer). Every method is cheap and never throws.
 */
import type { TaskStatus } from '../domain/task-result.js';
import type { TaskSpan, TelemetryPort } from '../domain/telemetry-port.js';
import { dlqReasonCategory } from './dlq-reason.js';
import type { TaskTracer } from './task-tracer.js';
import type { WorkerMetrics } from './worker-metrics.js';

type Snapshot = Parameters<TelemetryPort['sample']>[0];

export class WorkerTelemetry implements TelemetryPort {
  readonly #metrics: WorkerMetrics;
  readonly #tracer: TaskTracer;

  constructor(metrics: WorkerMetrics, tracer: TaskTracer) {
    this.#metrics = metrics;
    this.#tracer = tracer;
  }

  startTask(
    headers: Readonly<Record<string, string>>,
    attrs: { taskId: string; topic: string; partition: number; offset: string },
  ): TaskSpan {
    return this.#tracer.startTask(headers, attrs);
  }

  taskFinished(
    stack: string,
    status: TaskStatus,
    seconds: { queueWait: number; startLatency: number; run: number; overhead: number },
  ): void {
    const m = this.#metrics;
    m.tasks.inc({ stack, status });
    observe(m.queueWaitSeconds, stack, seconds.queueWait);
    observe(m.startLatencySeconds, stack, seconds.startLatency);
    observe(m.runSeconds, stack, seconds.run);
    observe(m.overheadSeconds, stack, seconds.overhead);
  }

  taskRetried(stack: string): void {
    this.#metrics.retries.inc({ stack });
  }

  deadLettered(reason: string): void {
    this.#metrics.dlq.inc({ reason: dlqReasonCategory(reason) });
  }

  containersReaped(count: number): void {
    if (Number.isFinite(count) && count > 0) this.#metrics.containersReaped.inc(count);
  }

  infraError(component: 'kafka' | 'docker'): void {
    this.#metrics.infraErrors.inc({ component });
  }

  /** Replaces all gauges; per-partition and per-stack series not in the snapshot disappear. */
  sample(snapshot: Snapshot): void {
    const m = this.#metrics;
    m.slots.set({ state: 'total' }, snapshot.slotsTotal);
    m.slots.set({ state: 'busy' }, snapshot.slotsBusy);
    m.memoryBudgetBytes.set(snapshot.memoryBudgetBytes);
    m.memoryUsedBytes.set(snapshot.memoryUsedBytes);
    m.bufferedTasks.set(snapshot.bufferedTasks);
    m.warmContainers.reset();
    for (const [stack, count] of Object.entries(snapshot.warmContainers)) {
      m.warmContainers.set({ stack }, count);
    }
    m.consumerLag.reset();
    let paused = 0;
    for (const p of snapshot.partitions) {
      m.consumerLag.set({ topic: p.topic, partition: String(p.partition) }, Math.max(0, p.lag));
      if (p.paused) paused += 1;
    }
    m.partitionsPaused.set(paused);
  }
}

/** Records a duration; negative or non-finite values (clock skew, not measured) are skipped. */
function observe(h: WorkerMetrics['runSeconds'], stack: string, seconds: number): void {
  if (Number.isFinite(seconds) && seconds >= 0) h.observe({ stack }, seconds);
}
