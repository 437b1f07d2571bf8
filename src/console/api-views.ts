import type { DlqEntry, TaskSummary } from './result-store.js';
import type { AttemptRow, PackageRow, TaskRow, WorkerRow } from './store-schema.js';

/**
 * How the query API shows stored rows (docs/console-openapi.yaml): camelCase, epoch ms, JSON
 * columns parsed, bytes as UTF-8 text plus base64 (so a client can rebuild them exactly).
 */
export function taskJson(t: TaskSummary | TaskRow): Record<string, unknown> {
  return {
    id: t.id,
    status: t.status,
    package: t.package,
    packageRevision: t.package_revision,
    stack: t.stack,
    workerId: t.worker_id,
    submittedAtMs: t.submitted_at,
    finishedAtMs: t.finished_at,
    lastAttempt: t.last_attempt,
    exitCode: t.exit_code,
    reason: t.reason,
    labels: JSON.parse(t.labels) as unknown,
    traceId: t.trace_id,
    resubmittable: 'event' in t ? t.event !== null : undefined,
  };
}

/** One attempt with the fields of a TaskResult (docs/wire-format.md) and its trace id. */
export function attemptJson(a: AttemptRow): Record<string, unknown> {
  const [sourceTopic, sourcePartition, sourceOffset] = splitSource(a.source);
  const outputs = JSON.parse(a.outputs) as { name: string; base64: string }[];
  return {
    id: a.task_id,
    attempt: a.attempt,
    status: a.status,
    exitCode: a.exit_code,
    reason: a.reason,
    stack: a.stack,
    stackImage: a.stack_image,
    codeName: a.code_name,
    codeRevision: a.code_revision,
    codeDigest: a.code_digest,
    workerId: a.worker_id,
    sourceTopic,
    sourcePartition,
    sourceOffset,
    queueWaitMs: a.queue_wait_ms,
    startLatencyMs: a.start_latency_ms,
    runMs: a.run_ms,
    finishedAtMs: a.finished_at,
    labels: JSON.parse(a.labels) as unknown,
    stdout: Buffer.from(a.stdout).toString('utf8'),
    stdoutBase64: Buffer.from(a.stdout).toString('base64'),
    stdoutTruncated: a.stdout_truncated === 1,
    stderr: Buffer.from(a.stderr).toString('utf8'),
    stderrBase64: Buffer.from(a.stderr).toString('base64'),
    stderrTruncated: a.stderr_truncated === 1,
    outputs: outputs.map((o) => ({
      name: o.name,
      bytes: Buffer.from(o.base64, 'base64').byteLength,
      base64: o.base64,
    })),
    outputsTruncated: a.outputs_truncated === 1,
    returnValue: a.return_value === null ? null : (JSON.parse(a.return_value) as unknown),
    traceId: a.trace_id,
    resultRecord: a.result_record,
  };
}

/** `topic/partition/offset`; the topic may itself contain slashes only in theory, so split from the end. */
function splitSource(source: string): [string, number, string] {
  const offsetAt = source.lastIndexOf('/');
  const partitionAt = source.lastIndexOf('/', offsetAt - 1);
  return [
    source.slice(0, partitionAt),
    Number(source.slice(partitionAt + 1, offsetAt)),
    source.slice(offsetAt + 1),
  ];
}

export function dlqJson(d: Omit<DlqEntry, 'key' | 'value'>): Record<string, unknown> {
  return {
    id: d.id,
    taskId: d.task_id,
    reason: d.reason,
    sourceTopic: d.source_topic,
    sourcePartition: d.source_partition,
    sourceOffset: d.source_offset,
    workerId: d.worker_id,
    deadAtMs: d.dead_at,
    truncated: d.truncated === 1,
    headers: JSON.parse(d.headers) as unknown,
    replays: d.replays,
    replayedAtMs: d.replayed_at,
  };
}

/** A worker's newest snapshot; `stale` when it has not reported for `staleAfterMs`. */
export function workerJson(w: WorkerRow, nowMs: number, staleAfterMs: number): Record<string, unknown> {
  const stats = JSON.parse(w.stats) as { partitions?: unknown; warmContainers?: unknown };
  return {
    workerId: w.worker_id,
    host: w.host,
    state: w.state,
    stale: nowMs - w.reported_at > staleAfterMs,
    startedAtMs: w.started_at,
    reportedAtMs: w.reported_at,
    slotsTotal: w.slots_total,
    slotsBusy: w.slots_busy,
    memoryBudgetBytes: w.memory_budget_bytes,
    memoryUsedBytes: w.memory_used_bytes,
    bufferedTasks: w.buffered_tasks,
    lag: w.lag,
    pausedPartitions: w.paused_partitions,
    tasksSucceeded: w.tasks_succeeded,
    tasksFailed: w.tasks_failed,
    tasksOther: w.tasks_other,
    partitions: stats.partitions ?? [],
    warmContainers: stats.warmContainers ?? {},
  };
}

/** Packages grouped by name, newest revision first. */
export function packagesJson(rows: readonly PackageRow[]): Record<string, unknown>[] {
  const byName = new Map<string, Record<string, unknown>[]>();
  for (const p of rows) {
    const list = byName.get(p.name) ?? [];
    list.push({
      revision: p.revision,
      digest: p.digest,
      stack: p.stack,
      isolation: p.isolation,
      handler: p.handler,
      createdAtMs: p.created_at,
      tarballBytes: p.tarball_bytes,
      manifest: JSON.parse(p.manifest) as unknown,
    });
    byName.set(p.name, list);
  }
  return [...byName].map(([name, revisions]) => ({
    name,
    latest: revisions[0]?.revision ?? null,
    revisions,
  }));
}
