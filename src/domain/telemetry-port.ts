import type { TaskStatus } from './task-result.js';

/** Phases of one task as traced: consume → wait for slot → start → run → publish. */
export type TaskPhase = 'wait_slot' | 'start' | 'run' | 'publish';

/** Tracing handle for one task attempt; all methods are cheap and never throw. */
export interface TaskSpan {
  /**
   * Ends the open phase and opens `phase`. `atMs` (epoch ms, default now) records a boundary after
   * the fact, e.g. the `run` phase from the executor's `startedAtMs`; a time before the open
   * phase began is clamped to that phase's start. Naming the phase already open is a no-op.
   */
  phase(phase: TaskPhase, atMs?: number): void;
  /** False for a span that records nothing (no tracer): callers may skip building attributes. Absent: it may record. */
  readonly recording?: boolean;
  setAttributes(attrs: Readonly<Record<string, string | number | boolean>>): void;
  end(status: TaskStatus | 'RETRY' | 'DLQ', error?: string): void;
}

/**
 * What the worker reports about itself. Implemented by observability (prom-client + OpenTelemetry);
 * a no-op implementation is used in unit tests. Labels are bounded: known stack names (see
 * `knownStacks`) and statuses, never task ids.
 */
export interface TelemetryPort {
  /** Start a task span as a child of the producer's W3C trace context found in Kafka headers. */
  startTask(
    headers: Readonly<Record<string, string>>,
    attrs: { taskId: string; topic: string; partition: number; offset: string },
  ): TaskSpan;
  taskFinished(
    stack: string,
    status: TaskStatus,
    /** overhead: consumed → result acknowledged, minus run (the platform's own time; sub-ms where measured). */
    seconds: { queueWait: number; startLatency: number; run: number; overhead: number },
  ): void;
  taskRetried(stack: string): void;
  deadLettered(reason: string): void;
  /** A task not due yet was moved to the retry topic to wait. Optional (older telemetry). */
  taskDelayed?(): void;
  /** A task record was dropped unrun by the idempotency memory. Optional (older telemetry). */
  taskNotRun?(reason: 'duplicate' | 'finished'): void;
  containersReaped(count: number): void;
  infraError(component: 'kafka' | 'docker'): void;
  /**
   * The stacks built on this worker (the stack catalog's names), each call replacing the last.
   * A `stack` label only carries these; any other name is reported as `unknown`, so producers
   * cannot create label values. Until it is called every stack is `unknown`. Optional: telemetry
   * without labels need not implement it.
   */
  knownStacks?(names: readonly string[]): void;
  /** Gauges, sampled by the worker every few seconds. */
  sample(snapshot: {
    slotsTotal: number;
    slotsBusy: number;
    memoryBudgetBytes: number;
    memoryUsedBytes: number;
    bufferedTasks: number;
    warmContainers: Readonly<Record<string, number>>;
    /** oldestUncommittedSeconds: how long the partition's oldest unfinished task has held its commit back. */
    partitions: readonly {
      topic: string;
      partition: number;
      paused: boolean;
      lag: number;
      oldestUncommittedSeconds: number;
    }[];
  }): void;
}
