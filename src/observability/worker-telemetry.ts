/**
 * TelemetryPort backed by prom-client metrics (WorkerMetrics) and OpenTelemetry task spans
 * (TaskTracer). Every method is cheap and never throws. `stack` labels are bounded: a stack not
 * registered by `knownStacks` (none until then) is labelled `unknown`.
 */
import type { TaskStatus } from '../domain/task-result.js';
import type { TaskSpan, TelemetryPort } from '../domain/telemetry-port.js';
import { dlqReasonCategory } from './dlq-reason.js';
import { UNKNOWN_STACK_LABEL } from './metric-names.js';
import type { TaskTracer } from './task-tracer.js';
import type { WorkerMetrics } from './worker-metrics.js';

type Snapshot = Parameters<TelemetryPort['sample']>[0];

export class WorkerTelemetry implements TelemetryPort {
  readonly #metrics: WorkerMetrics;
  readonly #tracer: TaskTracer;
  #known: ReadonlySet<string> = new Set();

  constructor(metrics: WorkerMetrics, tracer: TaskTracer) {
    this.#metrics = metrics;
    this.#tracer = tracer;
  }

  /** Replaces the set of stacks whose names may appear as `stack` label values. */
  knownStacks(names: readonly string[]): void {
    this.#known = new Set(names);
  }

  /** `stack` itself when it is a known stack, else `unknown`. */
  #stackLabel(stack: string): string {
    return this.#known.has(stack) ? stack : UNKNOWN_STACK_LABEL;
  }

  startTask(
    headers: Readonly<Record<string, string>>,
    attrs: { taskId: string; topic: string; partition: number; offset: string },
  ): TaskSpan {
    return this.#tracer.startTask(headers, attrs);
  }

  taskFinished(
    stackName: string,
    status: TaskStatus,
    seconds: { queueWait: number; startLatency: number; run: number; overhead: number },
  ): void {
    const m = this.#metrics;
    const stack = this.#stackLabel(stackName);
    m.tasks.inc({ stack, status });
    observe(m.queueWaitSeconds, stack, seconds.queueWait);
    observe(m.startLatencySeconds, stack, seconds.startLatency);
    observe(m.runSeconds, stack, seconds.run);
    observe(m.overheadSeconds, stack, seconds.overhead);
  }

  taskRetried(stack: string): void {
    this.#metrics.retries.inc({ stack: this.#stackLabel(stack) });
  }

  deadLettered(reason: string): void {
    this.#metrics.dlq.inc({ reason: dlqReasonCategory(reason) });
  }

  taskDelayed(): void {
    this.#metrics.delayed.inc();
  }

  taskNotRun(reason: 'duplicate' | 'finished'): void {
    this.#metrics.notRun.inc({ reason });
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
    const warm = new Map<string, number>();
    for (const [stack, count] of Object.entries(snapshot.warmContainers)) {
      const label = this.#stackLabel(stack);
      warm.set(label, (warm.get(label) ?? 0) + count);
    }
    for (const [stack, count] of warm) m.warmContainers.set({ stack }, count);
    m.consumerLag.reset();
    m.oldestUncommittedSeconds.reset();
    let paused = 0;
    for (const p of snapshot.partitions) {
      const labels = { topic: p.topic, partition: String(p.partition) };
      m.consumerLag.set(labels, Math.max(0, p.lag));
      m.oldestUncommittedSeconds.set(labels, Math.max(0, p.oldestUncommittedSeconds));
      if (p.paused) paused += 1;
    }
    m.partitionsPaused.set(paused);
  }
}

/** Records a duration; negative or non-finite values (clock skew, not measured) are skipped. */
function observe(h: WorkerMetrics['runSeconds'], stack: string, seconds: number): void {
  if (Number.isFinite(seconds) && seconds >= 0) h.observe(stack, seconds);
}
