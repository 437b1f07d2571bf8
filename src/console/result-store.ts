import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { AttemptRow, ConsoleTables, DlqRow, PackageRow, TaskRow, WorkerRow } from './store-schema.js';

/** What one consumed batch adds to the store; written in one transaction. */
export interface StoreBatch {
  readonly queued: readonly TaskRow[];
  readonly finished: readonly { readonly task: TaskRow; readonly attempt: AttemptRow }[];
  readonly dlq: readonly Omit<DlqRow, 'replays'>[];
  readonly workers: readonly WorkerRow[];
  readonly packages: readonly PackageRow[];
}

/** Filters of the task list, as the query API takes them (all optional, combined with AND). */
export interface TaskFilter {
  readonly status?: readonly string[];
  readonly package?: string;
  readonly stack?: string;
  readonly worker?: string;
  /** `key=value` pairs; every pair must match. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly id?: string;
  /** Inclusive lower / exclusive upper bound on the task's time (finished, else submitted), epoch ms. */
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly limit: number;
  readonly cursor?: string;
}

/** A stored dead letter as read back. */
export type DlqEntry = Selectable<DlqRow>;

export type TaskSummary = Omit<TaskRow, 'event' | 'event_key'>;

export interface Page<T> {
  readonly items: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  readonly nextCursor: string | null;
}

/** Rows removed by a retention pass. */
export interface PruneCounts {
  readonly tasks: number;
  readonly attempts: number;
  readonly dlq: number;
  readonly workers: number;
}

const TASK_COLUMNS = [
  'id',
  'status',
  'package',
  'package_revision',
  'stack',
  'worker_id',
  'submitted_at',
  'finished_at',
  'sort_ms',
  'last_attempt',
  'exit_code',
  'reason',
  'labels',
  'trace_id',
] as const;

/** A cursor is the last row's (sort_ms, id), opaque to clients. */
export function encodeCursor(sortMs: number, id: string): string {
  return Buffer.from(JSON.stringify([sortMs, id])).toString('base64url');
}

/** Throws `RangeError` for a cursor this store did not hand out. */
export function decodeCursor(cursor: string): { sortMs: number; id: string } {
  try {
    const [sortMs, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof sortMs === 'number' && typeof id === 'string') return { sortMs, id };
  } catch {
    // fall through
  }
  throw new RangeError('cursor is not one this API returned');
}

/**
 * The console's store of results, dead letters, worker snapshots and code packages. Contract:
 * `write` is idempotent — writing the same batch again (a restart before the offsets were
 * committed, a second console on the same store) changes nothing, in any order relative to other
 * batches: a task's row shows its newest result (by finish time), an attempt is keyed by
 * (task id, attempt, source record), a worker row keeps its newest snapshot, DLQ records and
 * package revisions are immutable once stored (replay bookkeeping aside).
 */
export class ResultStore {
  constructor(private readonly db: Kysely<ConsoleTables>) {}

  async write(batch: StoreBatch): Promise<void> {
    // Multi-row statements, de-duplicated by key first (one statement may not upsert a row twice);
    // the row kept is the one the per-row rules would leave in place.
    const queued = newestBy(
      batch.queued,
      (t) => t.id,
      (t) => t.submitted_at ?? 0,
    );
    const finishedTasks = newestBy(
      batch.finished.map((f) => f.task),
      (t) => t.id,
      (t) => t.finished_at ?? 0,
    );
    const attempts = newestBy(
      batch.finished.map((f) => f.attempt),
      (a) => `${a.task_id}\u0000${a.attempt}\u0000${a.source}`,
      (a) => a.finished_at,
    );
    const labels = newestBy(
      [...queued, ...finishedTasks].flatMap((t) =>
        Object.entries(JSON.parse(t.labels) as Record<string, string>).map(([key, value]) => ({
          task_id: t.id,
          key,
          value,
        })),
      ),
      (l) => `${l.task_id}\u0000${l.key}`,
      () => 0,
    );
    const workers = newestBy(
      batch.workers,
      (w) => w.worker_id,
      (w) => w.reported_at,
    );
    const packages = newestBy(
      batch.packages,
      (p) => `${p.name}@${p.revision}`,
      () => 0,
    );
    const dlq = newestBy(
      batch.dlq,
      (d) => d.id,
      () => 0,
    );
    await this.db.transaction().execute(async (trx) => {
      for (const rows of chunks(queued)) await this.upsertQueued(trx, rows);
      for (const rows of chunks(finishedTasks)) await this.upsertFinished(trx, rows);
      for (const rows of chunks(attempts)) {
        await trx
          .insertInto('attempts')
          .values(rows)
          .onConflict((oc) =>
            oc
              .columns(['task_id', 'attempt', 'source'])
              .doUpdateSet(excludedAll(rows[0] as AttemptRow, ['task_id', 'attempt', 'source'])),
          )
          .execute();
      }
      for (const rows of chunks(labels)) {
        await trx
          .insertInto('task_labels')
          .values(rows)
          .onConflict((oc) => oc.columns(['task_id', 'key']).doUpdateSet({ value: sql`excluded.value` }))
          .execute();
      }
      for (const rows of chunks(dlq)) {
        await trx
          .insertInto('dlq')
          .values(rows)
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
      }
      for (const rows of chunks(workers)) {
        await trx
          .insertInto('workers')
          .values(rows)
          .onConflict((oc) =>
            oc
              .column('worker_id')
              .doUpdateSet(excludedAll(rows[0] as WorkerRow, ['worker_id']))
              .where(sql<boolean>`excluded.reported_at >= workers.reported_at`),
          )
          .execute();
      }
      for (const rows of chunks(packages)) {
        await trx
          .insertInto('packages')
          .values(rows)
          .onConflict((oc) => oc.columns(['name', 'revision']).doNothing())
          .execute();
      }
    });
  }

  /** A task event: fills in what it knows; back to QUEUED only when it is newer than the last result. */
  private async upsertQueued(trx: Transaction<ConsoleTables>, t: readonly TaskRow[]): Promise<void> {
    const newer = sql`(tasks.finished_at IS NULL OR excluded.submitted_at > tasks.finished_at)`;
    await trx
      .insertInto('tasks')
      .values([...t])
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          package: sql`coalesce(tasks.package, excluded.package)`,
          package_revision: sql`coalesce(tasks.package_revision, excluded.package_revision)`,
          stack: sql`coalesce(tasks.stack, excluded.stack)`,
          labels: sql`excluded.labels`,
          event: sql`excluded.event`,
          event_key: sql`excluded.event_key`,
          trace_id: sql`coalesce(excluded.trace_id, tasks.trace_id)`,
          submitted_at: sql`CASE WHEN tasks.submitted_at IS NULL OR excluded.submitted_at > tasks.submitted_at THEN excluded.submitted_at ELSE tasks.submitted_at END`,
          status: sql`CASE WHEN ${newer} THEN 'QUEUED' ELSE tasks.status END`,
          sort_ms: sql`CASE WHEN ${newer} THEN excluded.sort_ms ELSE tasks.sort_ms END`,
        }),
      )
      .execute();
  }

  /** A result: becomes the task's state when it finished after the last result and the last submit. */
  private async upsertFinished(trx: Transaction<ConsoleTables>, t: readonly TaskRow[]): Promise<void> {
    await trx
      .insertInto('tasks')
      .values([...t])
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({
            status: sql`excluded.status`,
            package: sql`coalesce(excluded.package, tasks.package)`,
            package_revision: sql`coalesce(excluded.package_revision, tasks.package_revision)`,
            stack: sql`coalesce(excluded.stack, tasks.stack)`,
            worker_id: sql`excluded.worker_id`,
            finished_at: sql`excluded.finished_at`,
            sort_ms: sql`excluded.sort_ms`,
            last_attempt: sql`excluded.last_attempt`,
            exit_code: sql`excluded.exit_code`,
            reason: sql`excluded.reason`,
            trace_id: sql`coalesce(tasks.trace_id, excluded.trace_id)`,
          })
          .where(
            sql<boolean>`excluded.finished_at >= coalesce(tasks.finished_at, 0) AND excluded.finished_at >= coalesce(tasks.submitted_at, 0)`,
          ),
      )
      .execute();
  }

  /** A page of tasks, newest first. Throws `RangeError` for a bad cursor. */
  async tasks(f: TaskFilter): Promise<Page<TaskSummary>> {
    let q = this.db.selectFrom('tasks').select(TASK_COLUMNS);
    if (f.status && f.status.length > 0) q = q.where('status', 'in', [...f.status]);
    if (f.package) q = q.where('package', '=', f.package);
    if (f.stack) q = q.where('stack', '=', f.stack);
    if (f.worker) q = q.where('worker_id', '=', f.worker);
    if (f.id) q = q.where('id', '=', f.id);
    if (f.fromMs !== undefined) q = q.where('sort_ms', '>=', f.fromMs);
    if (f.toMs !== undefined) q = q.where('sort_ms', '<', f.toMs);
    for (const [key, value] of Object.entries(f.labels ?? {})) {
      q = q.where('id', 'in', (eb) =>
        eb.selectFrom('task_labels').select('task_id').where('key', '=', key).where('value', '=', value),
      );
    }
    if (f.cursor) {
      const c = decodeCursor(f.cursor);
      q = q.where((eb) =>
        eb.or([eb('sort_ms', '<', c.sortMs), eb.and([eb('sort_ms', '=', c.sortMs), eb('id', '<', c.id)])]),
      );
    }
    const rows = await q
      .orderBy('sort_ms', 'desc')
      .orderBy('id', 'desc')
      .limit(f.limit + 1)
      .execute();
    const items = rows.slice(0, f.limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > f.limit && last ? encodeCursor(last.sort_ms, last.id) : null };
  }

  /** One task with every stored attempt, oldest first; null when the id is unknown. */
  async task(id: string): Promise<{ task: TaskRow; attempts: AttemptRow[] } | null> {
    const task = await this.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!task) return null;
    const attempts = await this.db
      .selectFrom('attempts')
      .selectAll()
      .where('task_id', '=', id)
      .orderBy('finished_at')
      .orderBy('attempt')
      .execute();
    return { task, attempts };
  }

  /** Dead letters, newest first. */
  async dlq(limit: number, cursor?: string): Promise<Page<Omit<DlqEntry, 'key' | 'value'>>> {
    let q = this.db
      .selectFrom('dlq')
      .select([
        'id',
        'task_id',
        'reason',
        'source_topic',
        'source_partition',
        'source_offset',
        'worker_id',
        'dead_at',
        'truncated',
        'headers',
        'replays',
        'replayed_at',
      ]);
    if (cursor) {
      const c = decodeCursor(cursor);
      q = q.where((eb) =>
        eb.or([eb('dead_at', '<', c.sortMs), eb.and([eb('dead_at', '=', c.sortMs), eb('id', '<', c.id)])]),
      );
    }
    const rows = await q
      .orderBy('dead_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.dead_at, last.id) : null };
  }

  async dlqEntry(id: string): Promise<DlqEntry | null> {
    return (await this.db.selectFrom('dlq').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async markReplayed(id: string, nowMs: number): Promise<void> {
    await this.db
      .updateTable('dlq')
      .set({ replays: sql`replays + 1`, replayed_at: nowMs })
      .where('id', '=', id)
      .execute();
  }

  async workers(): Promise<WorkerRow[]> {
    return this.db.selectFrom('workers').selectAll().orderBy('worker_id').execute();
  }

  async packages(): Promise<PackageRow[]> {
    return this.db.selectFrom('packages').selectAll().orderBy('name').orderBy('revision', 'desc').execute();
  }

  /** Stacks seen in results (with the images they ran in) and named by packages. */
  async stacks(): Promise<
    { stack: string; images: string[]; attempts: number; lastUsedMs: number | null; packages: string[] }[]
  > {
    const used = await this.db
      .selectFrom('attempts')
      .select(['stack', 'stack_image'])
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('finished_at').as('last')])
      .where('stack', 'is not', null)
      .groupBy(['stack', 'stack_image'])
      .execute();
    const pkgs = await this.db.selectFrom('packages').select(['stack', 'name']).distinct().execute();
    const out = new Map<
      string,
      { stack: string; images: string[]; attempts: number; lastUsedMs: number | null; packages: string[] }
    >();
    const entry = (stack: string) => {
      let e = out.get(stack);
      if (!e) {
        e = { stack, images: [], attempts: 0, lastUsedMs: null, packages: [] };
        out.set(stack, e);
      }
      return e;
    };
    for (const u of used) {
      const e = entry(u.stack as string);
      if (u.stack_image) e.images.push(u.stack_image);
      e.attempts += Number(u.n);
      e.lastUsedMs = Math.max(e.lastUsedMs ?? 0, Number(u.last));
    }
    for (const p of pkgs) entry(p.stack).packages.push(p.name);
    return [...out.values()].sort((a, b) => a.stack.localeCompare(b.stack));
  }

  /** Counts per status (the front page's summary). */
  async statusCounts(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('tasks')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Removes what finished (or was last reported) before `cutoffMs`. */
  async prune(cutoffMs: number): Promise<PruneCounts> {
    return this.db.transaction().execute(async (trx) => {
      const attempts = await trx
        .deleteFrom('attempts')
        .where('finished_at', '<', cutoffMs)
        .executeTakeFirst();
      await trx
        .deleteFrom('task_labels')
        .where('task_id', 'in', (eb) => eb.selectFrom('tasks').select('id').where('sort_ms', '<', cutoffMs))
        .execute();
      const tasks = await trx.deleteFrom('tasks').where('sort_ms', '<', cutoffMs).executeTakeFirst();
      const dlq = await trx.deleteFrom('dlq').where('dead_at', '<', cutoffMs).executeTakeFirst();
      const workers = await trx.deleteFrom('workers').where('reported_at', '<', cutoffMs).executeTakeFirst();
      return {
        tasks: Number(tasks.numDeletedRows),
        attempts: Number(attempts.numDeletedRows),
        dlq: Number(dlq.numDeletedRows),
        workers: Number(workers.numDeletedRows),
      };
    });
  }
}

/** `SET col = excluded.col` for every column of `row` but the key columns. */
function excludedAll<T extends object>(
  row: T,
  key: readonly (keyof T)[],
): Record<string, ReturnType<typeof sql>> {
  const out: Record<string, ReturnType<typeof sql>> = {};
  for (const col of Object.keys(row)) {
    if (!key.includes(col as keyof T)) out[col] = sql`excluded.${sql.ref(col)}`;
  }
  return out;
}

/** Rows per multi-row statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK_ROWS = 200;

function* chunks<T>(rows: readonly T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += CHUNK_ROWS) yield rows.slice(i, i + CHUNK_ROWS);
}

/** One row per key: the one with the highest `rank`, the later one on a tie. */
function newestBy<T>(rows: readonly T[], key: (row: T) => string, rank: (row: T) => number): T[] {
  const kept = new Map<string, T>();
  for (const row of rows) {
    const k = key(row);
    const seen = kept.get(k);
    if (seen === undefined || rank(row) >= rank(seen)) kept.set(k, row);
  }
  return [...kept.values()];
}
