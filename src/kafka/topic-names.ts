/**
 * Every Kafka topic Berth uses, in one place. The prefix (default `berth`) is configurable so
 * several Berth installations, or tests, can share one cluster.
 */
export interface TopicNames {
  /** The work. Key: ordering key (default task id). Value: TaskEvent. */
  readonly tasks: string;
  /** One record per finished attempt. Key: task id. Value: TaskResult. */
  readonly results: string;
  /** Worker snapshots every few seconds. Key: worker id. Value: WorkerStats. */
  readonly metrics: string;
  /** Undecodable events and exhausted retries. Key: original key. Value: original bytes. */
  readonly dlq: string;
  /** Delayed re-delivery. Key: original key. Value: TaskEvent with attempt+1. */
  readonly retry: string;
  /** Compacted code packages. Key: `name@revision` (so compaction keeps every revision). Value: CodePackage. */
  readonly code: string;
  /** Cancel requests. Key: task id. Value: Control. */
  readonly control: string;
  /** Compacted, one partition: schedules. Key: schedule name (tombstone deletes). Value: Schedule. */
  readonly schedules: string;
  /** Compacted, one partition: last tick fired per schedule. Key: schedule name. Value: ScheduleTick. */
  readonly scheduleTicks: string;
}

export function topicNames(prefix = 'berth'): TopicNames {
  return Object.freeze({
    tasks: `${prefix}.tasks`,
    results: `${prefix}.results`,
    metrics: `${prefix}.metrics`,
    dlq: `${prefix}.dlq`,
    retry: `${prefix}.retry`,
    code: `${prefix}.code`,
    control: `${prefix}.control`,
    schedules: `${prefix}.schedules`,
    scheduleTicks: `${prefix}.schedule-ticks`,
  });
}

/** The consumer group of workers on the tasks topic. */
export function workerGroupId(prefix = 'berth'): string {
  return `${prefix}-workers`;
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
