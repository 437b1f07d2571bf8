/**
 * Every Prometheus metric name the worker exports, in one place. Names follow Prometheus practice:
 * `berth_` prefix, base units (`_seconds`, `_bytes`), counters end in `_total`. Labels are bounded
 * (stack names, statuses, DLQ reason categories, topic/partition), never task ids.
 */
export const METRIC = {
  tasks: 'berth_tasks_total',
  taskRunSeconds: 'berth_task_run_seconds',
  taskQueueWaitSeconds: 'berth_task_queue_wait_seconds',
  taskStartLatencySeconds: 'berth_task_start_latency_seconds',
  taskOverheadSeconds: 'berth_task_overhead_seconds',
  taskRetries: 'berth_task_retries_total',
  dlq: 'berth_dlq_total',
  tasksDelayed: 'berth_tasks_delayed_total',
  tasksNotRun: 'berth_tasks_not_run_total',
  containersReaped: 'berth_containers_reaped_total',
  infraErrors: 'berth_infra_errors_total',
  slots: 'berth_slots',
  memoryBudgetBytes: 'berth_memory_budget_bytes',
  memoryUsedBytes: 'berth_memory_used_bytes',
  bufferedTasks: 'berth_buffered_tasks',
  warmContainers: 'berth_warm_containers',
  partitionsPaused: 'berth_partitions_paused',
  consumerLag: 'berth_consumer_lag',
  oldestUncommittedSeconds: 'berth_oldest_uncommitted_seconds',
  workerInfo: 'berth_worker_info',
  workerUp: 'berth_worker_up',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** The `stack` label of every stack not known to be built on the worker (keeps the label bounded). */
export const UNKNOWN_STACK_LABEL = 'unknown';

/** Task run time buckets: 10 ms … 60 min (tasks may run up to an hour). */
export const RUN_SECONDS_BUCKETS: readonly number[] = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600,
];

/** Queue wait buckets: 5 ms … 60 min (a backlog can make tasks wait long). */
export const QUEUE_WAIT_SECONDS_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600, 1800, 3600,
];

/**
 * Platform overhead buckets: 0.25 ms … 10 s, finest around 1–5 ms, where function mode sits (a
 * quantile is interpolated within one bucket, so its bounds set how exact a p50 can be).
 */
export const OVERHEAD_SECONDS_BUCKETS: readonly number[] = [
  0.00025, 0.0005, 0.00075, 0.001, 0.00125, 0.0015, 0.00175, 0.002, 0.0025, 0.003, 0.004, 0.005, 0.0075, 0.01,
  0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
];

/** Start latency buckets: 5 ms … 10 s (warm handover is tens of ms, a cold start is seconds). */
export const START_LATENCY_SECONDS_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
