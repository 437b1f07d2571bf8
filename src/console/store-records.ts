import type { CodePackage } from '../domain/code-package.js';
import type { TaskEvent } from '../domain/task-event.js';
import type { TaskResult } from '../domain/task-result.js';
import type { WorkerStats } from '../domain/worker-stats.js';
import { HEADERS } from '../kafka/topic-names.js';
import type { AttemptRow, DlqRow, PackageRow, TaskRow, WorkerRow } from './store-schema.js';

/** Where a record was read, as the feed hands it over. */
export interface RecordMeta {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestampMs: number;
}

/** The trace id of a W3C `traceparent` header (`00-<trace id>-<span id>-<flags>`), else null. */
export function traceIdOf(headers: Readonly<Record<string, string>>): string | null {
  const parts = headers[HEADERS.traceparent]?.split('-');
  return parts && parts.length === 4 && /^[0-9a-f]{32}$/.test(parts[1] ?? '') ? (parts[1] as string) : null;
}

/** A task seen on the tasks topic: QUEUED until a result says otherwise. */
export function queuedTaskRow(event: TaskEvent, value: Buffer, meta: RecordMeta): TaskRow {
  return {
    id: event.id,
    status: 'QUEUED',
    package: event.code?.name ?? null,
    package_revision: event.code?.revision ?? null,
    stack: event.inline?.stack ?? null,
    worker_id: null,
    submitted_at: event.createdAtMs,
    finished_at: null,
    sort_ms: event.createdAtMs,
    last_attempt: null,
    exit_code: null,
    reason: null,
    labels: JSON.stringify(event.labels),
    event: value,
    event_key: meta.key?.toString() ?? null,
    trace_id: traceIdOf(meta.headers),
  };
}

/** A task's row as one of its results describes it. */
export function finishedTaskRow(r: TaskResult, meta: RecordMeta): TaskRow {
  return {
    id: r.id,
    status: r.status,
    package: r.codeName,
    package_revision: r.codeRevision,
    stack: r.stack,
    worker_id: r.workerId || null,
    submitted_at: null,
    finished_at: r.finishedAtMs,
    sort_ms: r.finishedAtMs,
    last_attempt: r.attempt,
    exit_code: r.exitCode,
    reason: r.reason,
    labels: JSON.stringify(r.labels),
    event: null,
    event_key: null,
    trace_id: traceIdOf(meta.headers),
  };
}

const flag = (b: boolean) => (b ? 1 : 0);

/** One finished attempt; `source` names the task record it ran, so a replay is a row of its own. */
export function attemptRow(r: TaskResult, meta: RecordMeta): AttemptRow {
  return {
    task_id: r.id,
    attempt: r.attempt,
    source: `${r.sourceTopic}/${r.sourcePartition}/${r.sourceOffset}`,
    status: r.status,
    exit_code: r.exitCode,
    reason: r.reason,
    stack: r.stack,
    stack_image: r.stackImage,
    code_name: r.codeName,
    code_revision: r.codeRevision,
    code_digest: r.codeDigest,
    worker_id: r.workerId,
    queue_wait_ms: r.queueWaitMs,
    start_latency_ms: r.startLatencyMs,
    run_ms: r.runMs,
    finished_at: r.finishedAtMs,
    stdout: Buffer.from(r.stdout),
    stdout_truncated: flag(r.stdoutTruncated),
    stderr: Buffer.from(r.stderr),
    stderr_truncated: flag(r.stderrTruncated),
    outputs: JSON.stringify(
      r.outputs.map((o) => ({ name: o.name, base64: Buffer.from(o.data).toString('base64') })),
    ),
    outputs_truncated: flag(r.outputsTruncated),
    return_value:
      r.returnValue == null
        ? null
        : JSON.stringify({
            kind: r.returnValue.kind,
            base64: Buffer.from(r.returnValue.data).toString('base64'),
          }),
    labels: JSON.stringify(r.labels),
    trace_id: traceIdOf(meta.headers),
    result_record: `${meta.topic}/${meta.partition}/${meta.offset}`,
  };
}

/**
 * A dead-lettered record with its reason headers; `event` is the decoded TaskEvent when the
 * bytes are one (they are not for undecodable records).
 */
export function dlqRow(
  value: Buffer | null,
  event: TaskEvent | null,
  meta: RecordMeta,
): Omit<DlqRow, 'replays'> {
  const h = meta.headers;
  const partition = h[HEADERS.dlqSourcePartition];
  return {
    id: `${meta.partition}-${meta.offset}`,
    task_id: event?.id ?? meta.key?.toString() ?? null,
    reason: h[HEADERS.dlqReason] ?? 'unknown',
    source_topic: h[HEADERS.dlqSourceTopic] ?? null,
    source_partition: partition === undefined ? null : Number(partition),
    source_offset: h[HEADERS.dlqSourceOffset] ?? null,
    worker_id: h[HEADERS.dlqWorker] ?? null,
    dead_at: meta.timestampMs,
    key: meta.key,
    value,
    truncated: flag(h[HEADERS.dlqTruncated] === 'true'),
    headers: JSON.stringify(h),
    replayed_at: null,
  };
}

export function workerRow(s: WorkerStats): WorkerRow {
  return {
    worker_id: s.workerId,
    host: s.host,
    state: s.state,
    started_at: s.startedAtMs,
    reported_at: s.reportedAtMs,
    slots_total: s.slotsTotal,
    slots_busy: s.slotsBusy,
    memory_budget_bytes: s.memoryBudgetBytes,
    memory_used_bytes: s.memoryUsedBytes,
    buffered_tasks: s.bufferedTasks,
    lag: s.partitions.reduce((sum, p) => sum + Math.max(0, p.lag), 0),
    paused_partitions: s.partitions.filter((p) => p.paused).length,
    tasks_succeeded: s.tasksSucceeded,
    tasks_failed: s.tasksFailed,
    tasks_other: s.tasksOther,
    stats: JSON.stringify(s),
  };
}

/** A code package revision without its tarball (its size is kept). */
export function packageRow(p: CodePackage): PackageRow {
  return {
    name: p.name,
    revision: p.revision,
    digest: p.digest,
    stack: p.manifest.stack,
    isolation: p.manifest.isolation,
    handler: p.manifest.handler,
    created_at: p.createdAtMs,
    tarball_bytes: p.tarball.byteLength,
    manifest: JSON.stringify(p.manifest),
  };
}
