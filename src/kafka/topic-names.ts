import type { PriorityLane } from '../domain/priority-lane.js';

/**
 * Every Kafka topic Berth uses, in one place. The prefix (default `berth`) is configurable so
 * several Berth installations, or tests, can share one cluster.
 */
export interface TopicNames {
  /** The work of the normal lane (priority 1, the default). Key: ordering key (default task id). Value: TaskEvent. */
  readonly tasks: string;
  /** The work of the high lane (priority 2). Same key and value as `tasks`. */
  readonly tasksHigh: string;
  /** The work of the low lane (priority 0). Same key and value as `tasks`. */
  readonly tasksLow: string;
  /** One record per finished attempt. Key: task id. Value: TaskResult. */
  readonly results: string;
  /** Worker snapshots every few seconds. Key: worker id. Value: WorkerStats. */
  readonly metrics: string;
  /** Undecodable events and exhausted retries. Key: original key. Value: original bytes. */
  readonly dlq: string;
  /** Delayed re-delivery of normal-lane tasks. Key: original key. Value: TaskEvent with attempt+1. */
  readonly retry: string;
  /** Delayed re-delivery of high-lane tasks (a retry keeps its lane). */
  readonly retryHigh: string;
  /** Delayed re-delivery of low-lane tasks. */
  readonly retryLow: string;
  /** Compacted code packages. Key: `name@revision` (so compaction keeps every revision). Value: CodePackage. */
  readonly code: string;
  /** Cancel requests. Key: task id. Value: Control. */
  readonly control: string;
  /** Live output and progress of running tasks (best effort, 1 day). Key: task id. Value: TaskProgress. */
  readonly progress: string;
  /** Compacted, one partition: schedules. Key: schedule name (tombstone deletes). Value: Schedule. */
  readonly schedules: string;
  /** Compacted, one partition: last tick fired per schedule. Key: schedule name. Value: ScheduleTick. */
  readonly scheduleTicks: string;
}

export function topicNames(prefix = 'berth'): TopicNames {
  return Object.freeze({
    tasks: `${prefix}.tasks`,
    tasksHigh: `${prefix}.tasks.high`,
    tasksLow: `${prefix}.tasks.low`,
    results: `${prefix}.results`,
    metrics: `${prefix}.metrics`,
    dlq: `${prefix}.dlq`,
    retry: `${prefix}.retry`,
    retryHigh: `${prefix}.retry.high`,
    retryLow: `${prefix}.retry.low`,
    code: `${prefix}.code`,
    control: `${prefix}.control`,
    progress: `${prefix}.progress`,
    schedules: `${prefix}.schedules`,
    scheduleTicks: `${prefix}.schedule-ticks`,
  });
}

/** The consumer group of workers on the (normal-lane) tasks topic. */
export function workerGroupId(prefix = 'berth'): string {
  return `${prefix}-workers`;
}

/** The tasks and retry topics of one priority lane (`normal` keeps the unsuffixed names). */
export interface LaneTopics {
  readonly tasks: string;
  readonly retry: string;
}

export function laneTopics(names: TopicNames, lane: PriorityLane): LaneTopics {
  if (lane === 'high') return { tasks: names.tasksHigh, retry: names.retryHigh };
  if (lane === 'low') return { tasks: names.tasksLow, retry: names.retryLow };
  return { tasks: names.tasks, retry: names.retry };
}

/**
 * The consumer group of workers on a lane's tasks topic: `<prefix>-workers` for normal (as
 * before lanes existed, so committed offsets carry over), `<prefix>-workers-high` / `-low`.
 * The lane's retry topic is consumed by this group id + `-retry`.
 */
export function laneGroupId(prefix: string, lane: PriorityLane): string {
  return lane === 'normal' ? workerGroupId(prefix) : `${workerGroupId(prefix)}-${lane}`;
}

/** The consumer group of workers on the schedules topic: the owner of its one partition fires ticks. */
export function schedulerGroupId(prefix = 'berth'): string {
  return `${prefix}-schedulers`;
}

/** Kafka header names Berth reads or writes. */
export const HEADERS = Object.freeze({
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** On berth.retry: epoch ms before which the event must not run. */
  notBefore: 'berth-not-before-ms',
  /**
   * On berth.retry, for a delayed task moved there: `topic/partition@offset` of the record it was
   * submitted as (its identity for the idempotency memory).
   */
  origin: 'berth-origin',
  /**
   * On berth.results: the result's attempt and `topic/partition@offset` of the record it answers,
   * so a follower that only needs these (the idempotency memory) does not decode the value.
   */
  resultAttempt: 'berth-attempt',
  resultSource: 'berth-source',
  /** On berth.dlq: why the event was dead-lettered. */
  dlqReason: 'berth-dlq-reason',
  dlqSourceTopic: 'berth-dlq-source-topic',
  dlqSourcePartition: 'berth-dlq-source-partition',
  dlqSourceOffset: 'berth-dlq-source-offset',
  dlqWorker: 'berth-dlq-worker',
  /** On berth.dlq when the value was cut to fit: the original's size, sha256 (hex) and `true`. */
  dlqOriginalBytes: 'berth-dlq-original-bytes',
  dlqOriginalSha256: 'berth-dlq-original-sha256',
  dlqTruncated: 'berth-dlq-truncated',
});
