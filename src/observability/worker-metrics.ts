/**
 * The worker's Prometheus metrics: one prom-client Registry per worker (so several workers in one
 * process, e.g. in tests, do not collide), process/Node defaults included. Names come from
 * metric-names.ts only.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { DLQ_REASONS } from './dlq-reason.js';
import {
  METRIC,
  OVERHEAD_SECONDS_BUCKETS,
  QUEUE_WAIT_SECONDS_BUCKETS,
  RUN_SECONDS_BUCKETS,
  START_LATENCY_SECONDS_BUCKETS,
} from './metric-names.js';
import { StackHistogram } from './stack-histogram.js';

export interface WorkerMetricsOptions {
  readonly workerId: string;
  readonly version: string;
}

/**
 * How often the event loop lag metrics (`nodejs_eventloop_lag_*`) sample the loop. Each sample
 * is a timer that wakes the loop; prom-client's default, 10 ms, woke an idle worker 100 times a
 * second. A stall longer than this still shows in the lag histogram.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/** All metric objects of one worker, registered in `registry`. */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly tasks = counter(
    this.registry,
    METRIC.tasks,
    'Task attempts that ended, by stack and final status.',
    ['stack', 'status'],
  );
  readonly runSeconds = histogram(
    this.registry,
    METRIC.taskRunSeconds,
    'Task process run time (start to exit), in seconds.',
    RUN_SECONDS_BUCKETS,
  );
  readonly overheadSeconds = histogram(
    this.registry,
    METRIC.taskOverheadSeconds,
    'Worker time per task outside the task itself: consumed until its result was acknowledged, minus the run time (monotonic clock), in seconds.',
    OVERHEAD_SECONDS_BUCKETS,
  );
  readonly queueWaitSeconds = histogram(
    this.registry,
    METRIC.taskQueueWaitSeconds,
    'Time from task creation (or consumption) until a slot was granted, in seconds.',
    QUEUE_WAIT_SECONDS_BUCKETS,
  );
  readonly startLatencySeconds = histogram(
    this.registry,
    METRIC.taskStartLatencySeconds,
    'Time from slot granted until the task process started, in seconds.',
    START_LATENCY_SECONDS_BUCKETS,
  );
  readonly retries = counter(this.registry, METRIC.taskRetries, 'Task attempts scheduled for retry.', [
    'stack',
  ]);
  readonly dlq = counter(
    this.registry,
    METRIC.dlq,
    `Messages sent to the dead-letter topic, by reason category (${DLQ_REASONS.join(', ')}).`,
    ['reason'],
  );
  readonly delayed = counter(
    this.registry,
    METRIC.tasksDelayed,
    'Tasks not due yet moved to the retry topic to wait for their run-at time.',
    [],
  );
  readonly notRun = counter(
    this.registry,
    METRIC.tasksNotRun,
    'Task records dropped unrun by the idempotency memory (duplicate: another record had the id; finished: its result was published).',
    ['reason'],
  );
  readonly containersReaped = counter(
    this.registry,
    METRIC.containersReaped,
    'Orphaned task containers removed by the reaper.',
    [],
  );
  readonly infraErrors = counter(this.registry, METRIC.infraErrors, 'Infrastructure errors, by component.', [
    'component',
  ]);
  readonly slots = gauge(this.registry, METRIC.slots, 'Task slots, by state (total, busy).', ['state']);
  readonly memoryBudgetBytes = gauge(
    this.registry,
    METRIC.memoryBudgetBytes,
    'Memory budget for task containers, in bytes.',
    [],
  );
  readonly memoryUsedBytes = gauge(
    this.registry,
    METRIC.memoryUsedBytes,
    'Memory reserved by running task containers, in bytes.',
    [],
  );
  readonly bufferedTasks = gauge(
    this.registry,
    METRIC.bufferedTasks,
    'Tasks consumed and held in memory, not yet finished.',
    [],
  );
  readonly warmContainers = gauge(
    this.registry,
    METRIC.warmContainers,
    'Prewarmed containers ready for handover, by stack.',
    ['stack'],
  );
  readonly partitionsPaused = gauge(
    this.registry,
    METRIC.partitionsPaused,
    'Assigned partitions currently paused for backpressure.',
    [],
  );
  readonly consumerLag = gauge(
    this.registry,
    METRIC.consumerLag,
    'Consumer lag in messages (log end offset minus committed offset), by topic and partition.',
    ['topic', 'partition'],
  );
  readonly oldestUncommittedSeconds = gauge(
    this.registry,
    METRIC.oldestUncommittedSeconds,
    'Age of the oldest consumed-but-unfinished task of a partition, in seconds: how long its committed offset has been held back (0: nothing unfinished).',
    ['topic', 'partition'],
  );
  readonly workerInfo = gauge(this.registry, METRIC.workerInfo, 'Constant 1, labelled with id and version.', [
    'worker_id',
    'version',
  ]);
  readonly workerUp = gauge(this.registry, METRIC.workerUp, '1 while the worker runs, 0 when stopping.', []);

  constructor(opts: WorkerMetricsOptions) {
    collectDefaultMetrics({
      register: this.registry,
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });
    this.workerInfo.set({ worker_id: opts.workerId, version: opts.version }, 1);
    this.workerUp.set(1);
    this.slots.set({ state: 'total' }, 0);
    this.slots.set({ state: 'busy' }, 0);
    for (const v of [
      this.memoryBudgetBytes,
      this.memoryUsedBytes,
      this.bufferedTasks,
      this.partitionsPaused,
    ]) {
      v.set(0);
    }
    // Known label values start at 0, so rate() and alerts see them before the first event.
    this.containersReaped.inc(0);
    for (const component of ['kafka', 'docker']) this.infraErrors.inc({ component }, 0);
    for (const reason of DLQ_REASONS) this.dlq.inc({ reason }, 0);
    for (const reason of ['duplicate', 'finished']) this.notRun.inc({ reason }, 0);
  }
}

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
): Counter<L> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Gauge<L> {
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

function histogram(
  registry: Registry,
  name: string,
  help: string,
  buckets: readonly number[],
): StackHistogram {
  return new StackHistogram(name, help, buckets, registry);
}
