import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { InfraError } from '../domain/infra-error.js';

/** The SQL dialects the console store runs on. */
export type StoreDialect = 'sqlite' | 'postgres';

/**
 * The store's schema history, oldest first, written once with Kysely's schema builder for both
 * dialects. Add a migration here (never edit an applied one); `migrateStore` applies the missing
 * ones at start under Kysely's migration lock, so two consoles starting together apply each once.
 */
export function consoleMigrations(dialect: StoreDialect): Record<string, Migration> {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    '0001_console_tables': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('tasks')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('package', 'text')
          .addColumn('package_revision', 'integer')
          .addColumn('stack', 'text')
          .addColumn('worker_id', 'text')
          .addColumn('submitted_at', 'bigint')
          .addColumn('finished_at', 'bigint')
          .addColumn('sort_ms', 'bigint', (c) => c.notNull())
          .addColumn('last_attempt', 'integer')
          .addColumn('exit_code', 'integer')
          .addColumn('reason', 'text')
          .addColumn('labels', 'text', (c) => c.notNull())
          .addColumn('event', sql.raw(bytes))
          .addColumn('event_key', 'text')
          .addColumn('trace_id', 'text')
          .execute();
        for (const col of ['status', 'package', 'stack', 'worker_id'] as const) {
          await db.schema
            .createIndex(`tasks_${col}_sort`)
            .on('tasks')
            .columns([col, 'sort_ms', 'id'])
            .execute();
        }
        await db.schema.createIndex('tasks_sort').on('tasks').columns(['sort_ms', 'id']).execute();

        await db.schema
          .createTable('attempts')
          .addColumn('task_id', 'text', (c) => c.notNull())
          .addColumn('attempt', 'integer', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('exit_code', 'integer')
          .addColumn('reason', 'text')
          .addColumn('stack', 'text')
          .addColumn('stack_image', 'text')
          .addColumn('code_name', 'text')
          .addColumn('code_revision', 'integer')
          .addColumn('code_digest', 'text')
          .addColumn('worker_id', 'text', (c) => c.notNull())
          .addColumn('queue_wait_ms', 'bigint', (c) => c.notNull())
          .addColumn('start_latency_ms', 'bigint', (c) => c.notNull())
          .addColumn('run_ms', 'bigint', (c) => c.notNull())
          .addColumn('finished_at', 'bigint', (c) => c.notNull())
          .addColumn('stdout', sql.raw(bytes), (c) => c.notNull())
          .addColumn('stdout_truncated', 'integer', (c) => c.notNull())
          .addColumn('stderr', sql.raw(bytes), (c) => c.notNull())
          .addColumn('stderr_truncated', 'integer', (c) => c.notNull())
          .addColumn('outputs', 'text', (c) => c.notNull())
          .addColumn('outputs_truncated', 'integer', (c) => c.notNull())
          .addColumn('return_value', 'text')
          .addColumn('labels', 'text', (c) => c.notNull())
          .addColumn('trace_id', 'text')
          .addColumn('result_record', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('attempts_pk', ['task_id', 'attempt', 'source'])
          .execute();
        await db.schema.createIndex('attempts_finished').on('attempts').column('finished_at').execute();

        await db.schema
          .createTable('task_labels')
          .addColumn('task_id', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('task_labels_pk', ['task_id', 'key'])
          .execute();
        await db.schema
          .createIndex('task_labels_kv')
          .on('task_labels')
          .columns(['key', 'value', 'task_id'])
          .execute();

        await db.schema
          .createTable('dlq')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('task_id', 'text')
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('source_topic', 'text')
          .addColumn('source_partition', 'integer')
          .addColumn('source_offset', 'text')
          .addColumn('worker_id', 'text')
          .addColumn('dead_at', 'bigint', (c) => c.notNull())
          .addColumn('key', sql.raw(bytes))
          .addColumn('value', sql.raw(bytes))
          .addColumn('truncated', 'integer', (c) => c.notNull())
          .addColumn('headers', 'text', (c) => c.notNull())
          .addColumn('replays', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('replayed_at', 'bigint')
          .execute();
        await db.schema.createIndex('dlq_dead_at').on('dlq').columns(['dead_at', 'id']).execute();

        await db.schema
          .createTable('workers')
          .addColumn('worker_id', 'text', (c) => c.primaryKey())
          .addColumn('host', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('reported_at', 'bigint', (c) => c.notNull())
          .addColumn('slots_total', 'integer', (c) => c.notNull())
          .addColumn('slots_busy', 'integer', (c) => c.notNull())
          .addColumn('memory_budget_bytes', 'bigint', (c) => c.notNull())
          .addColumn('memory_used_bytes', 'bigint', (c) => c.notNull())
          .addColumn('buffered_tasks', 'integer', (c) => c.notNull())
          .addColumn('lag', 'bigint', (c) => c.notNull())
          .addColumn('paused_partitions', 'integer', (c) => c.notNull())
          .addColumn('tasks_succeeded', 'bigint', (c) => c.notNull())
          .addColumn('tasks_failed', 'bigint', (c) => c.notNull())
          .addColumn('tasks_other', 'bigint', (c) => c.notNull())
          .addColumn('stats', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('packages')
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('digest', 'text', (c) => c.notNull())
          .addColumn('stack', 'text', (c) => c.notNull())
          .addColumn('isolation', 'text', (c) => c.notNull())
          .addColumn('handler', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('tarball_bytes', 'bigint', (c) => c.notNull())
          .addColumn('manifest', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('packages_pk', ['name', 'revision'])
          .execute();
      },
    },
  };
}

/** Applies every missing migration; throws a non-retriable `InfraError` naming the one that failed. */
export async function migrateStore(db: Kysely<unknown>, dialect: StoreDialect): Promise<string[]> {
  const migrations = consoleMigrations(dialect);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'console_migration',
    migrationLockTableName: 'console_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new InfraError(`console store migration ${failed} failed: ${(error as Error).message}`, {
      retriable: false,
      component: 'other',
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
