import type { Generated } from 'kysely';

/**
 * The console store's tables as Kysely sees them (both dialects). Times are epoch milliseconds,
 * booleans 0/1, JSON columns text, bytes Buffers (SQLite BLOB, PostgreSQL bytea). The tables are
 * created by `store-migrations.ts`; this file only types them.
 */
export interface ConsoleTables {
  /** One row per task id: its newest known state (QUEUED from the tasks topic, then a result). */
  tasks: TaskRow;
  /** One row per finished delivery of an attempt (a TaskResult). */
  attempts: AttemptRow;
  task_labels: TaskLabelRow;
  dlq: DlqRow;
  workers: WorkerRow;
  packages: PackageRow;
}

export interface TaskRow {
  id: string;
  /** QUEUED (seen on the tasks topic, no result yet) or the status of the newest result. */
  status: string;
  package: string | null;
  package_revision: number | null;
  stack: string | null;
  worker_id: string | null;
  submitted_at: number | null;
  finished_at: number | null;
  /** finished_at, else submitted_at: the list's order and its cursor. */
  sort_ms: number;
  last_attempt: number | null;
  exit_code: number | null;
  reason: string | null;
  /** JSON object. */
  labels: string;
  /** The TaskEvent record's value as consumed, for resubmit; null when only results were seen. */
  event: Buffer | null;
  event_key: string | null;
  trace_id: string | null;
}

export interface AttemptRow {
  task_id: string;
  attempt: number;
  /** `topic/partition/offset` of the task record this attempt ran: a replay is a new delivery. */
  source: string;
  status: string;
  exit_code: number | null;
  reason: string | null;
  stack: string | null;
  stack_image: string | null;
  code_name: string | null;
  code_revision: number | null;
  code_digest: string | null;
  worker_id: string;
  queue_wait_ms: number;
  start_latency_ms: number;
  run_ms: number;
  finished_at: number;
  stdout: Buffer;
  stdout_truncated: number;
  stderr: Buffer;
  stderr_truncated: number;
  /** JSON array of { name, base64 }. */
  outputs: string;
  outputs_truncated: number;
  /** JSON { kind, base64 } or null. */
  return_value: string | null;
  labels: string;
  trace_id: string | null;
  /** Where the result itself was read: `topic/partition/offset`. */
  result_record: string;
}

export interface TaskLabelRow {
  task_id: string;
  key: string;
  value: string;
}

export interface DlqRow {
  /** `partition-offset` of the record on the DLQ topic. */
  id: string;
  task_id: string | null;
  reason: string;
  source_topic: string | null;
  source_partition: number | null;
  source_offset: string | null;
  worker_id: string | null;
  dead_at: number;
  key: Buffer | null;
  value: Buffer | null;
  truncated: number;
  /** JSON object of the record's headers. */
  headers: string;
  replays: Generated<number>;
  replayed_at: number | null;
}

export interface WorkerRow {
  worker_id: string;
  host: string;
  state: string;
  started_at: number;
  reported_at: number;
  slots_total: number;
  slots_busy: number;
  memory_budget_bytes: number;
  memory_used_bytes: number;
  buffered_tasks: number;
  /** Sum of known partition lags. */
  lag: number;
  paused_partitions: number;
  tasks_succeeded: number;
  tasks_failed: number;
  tasks_other: number;
  /** JSON of the whole WorkerStats. */
  stats: string;
}

export interface PackageRow {
  name: string;
  revision: number;
  digest: string;
  stack: string;
  isolation: string;
  handler: string | null;
  created_at: number;
  tarball_bytes: number;
  /** JSON of the manifest. */
  manifest: string;
}
