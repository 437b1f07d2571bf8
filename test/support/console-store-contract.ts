import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';
import { ResultStore, type StoreBatch } from '../../src/console/result-store.js';
import type { StoreConnection } from '../../src/console/store-connection.js';
import { migrateStore } from '../../src/console/store-migrations.js';
import {
  attemptRow,
  finishedTaskRow,
  queuedTaskRow,
  type RecordMeta,
} from '../../src/console/store-records.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import { consoleEvent, consoleResult } from './console-rows.js';

let offset = 0;

const meta = (topic: string): RecordMeta => ({
  topic,
  partition: 0,
  offset: String(offset++),
  key: null,
  headers: { traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01' },
  timestampMs: 1,
});
const empty: StoreBatch = { queued: [], finished: [], dlq: [], workers: [], packages: [] };
const finished = (r: TaskResult): StoreBatch => {
  const m = meta('b.results');
  return { ...empty, finished: [{ task: finishedTaskRow(r, m), attempt: attemptRow(r, m) }] };
};
const queued = (e: TaskEvent): StoreBatch => ({
  ...empty,
  queued: [queuedTaskRow(e, taskEventCodec.encode(e), meta('b.tasks'))],
});

/**
 * What every store dialect must do (the ResultStore contract): run by test/unit/console-store.test.ts
 * on SQLite and test/integration/console-store-postgres.test.ts on PostgreSQL. `open` returns a
 * fresh, empty, unmigrated store.
 */
export function describeResultStore(name: string, open: () => Promise<StoreConnection>): void {
  describe(`console result store (${name})`, () => {
    let conn: StoreConnection;
    let store: ResultStore;
    beforeEach(async () => {
      conn = await open();
      await migrateStore(conn.db as never, conn.dialect);
      store = new ResultStore(conn.db);
    });
    afterEach(() => conn.close());

    it('applies its migrations once', async () => {
      expect(await migrateStore(conn.db as never, conn.dialect)).toEqual([]);
    });

    it('stores a result once however often it is written', async () => {
      const r = consoleResult('a', { stdout: Buffer.from('hello\n') });
      const batch = finished(r);
      await store.write(batch);
      await store.write(batch);
      const found = await store.task('a');
      expect(found?.attempts).toHaveLength(1);
      expect(found?.attempts[0]?.stdout.toString()).toBe('hello\n');
      expect(found?.task.trace_id).toBe('0123456789abcdef0123456789abcdef');
      expect(await store.statusCounts()).toEqual({ SUCCEEDED: 1 });
    });

    it('stores a batch holding the same records twice, and an event with its result, once', async () => {
      const r = consoleResult('twice', { labels: { a: '1' } });
      const one = finished(r);
      const e = consoleEvent('twice', { labels: { a: '1' } });
      await store.write({
        ...empty,
        queued: [...queued(e).queued, ...queued(e).queued],
        finished: [...one.finished, ...one.finished, ...finished(consoleResult('other')).finished],
      });
      const found = await store.task('twice');
      expect(found?.task.status).toBe('SUCCEEDED');
      expect(found?.attempts).toHaveLength(1);
      expect((await store.tasks({ labels: { a: '1' }, limit: 10 })).items.map((t) => t.id)).toEqual([
        'twice',
      ]);
      expect(await store.statusCounts()).toEqual({ SUCCEEDED: 2 });
    });

    it('keeps the result whichever of event and result is stored first', async () => {
      const e = consoleEvent('b');
      const r = consoleResult('b', { status: 'FAILED', exitCode: 3 });
      await store.write(finished(r));
      await store.write(queued(e));
      expect((await store.task('b'))?.task).toMatchObject({ status: 'FAILED', exit_code: 3 });
      expect((await store.task('b'))?.task.event).not.toBeNull();
      await store.write(queued(consoleEvent('c')));
      expect((await store.task('c'))?.task.status).toBe('QUEUED');
      await store.write(finished(consoleResult('c')));
      expect((await store.task('c'))?.task.status).toBe('SUCCEEDED');
    });

    it('shows a replayed task queued again until its new result, and keeps both attempts', async () => {
      await store.write(finished(consoleResult('d', { status: 'FAILED' })));
      await store.write(queued(consoleEvent('d', { createdAtMs: 1_700_000_005_000 })));
      expect((await store.task('d'))?.task.status).toBe('QUEUED');
      await store.write(finished(consoleResult('d', { status: 'FAILED' }))); // the old one read again
      expect((await store.task('d'))?.task.status).toBe('QUEUED');
      await store.write(
        finished(
          consoleResult('d', { sourceOffset: '9', finishedAtMs: 1_700_000_009_000, status: 'SUCCEEDED' }),
        ),
      );
      const found = await store.task('d');
      expect(found?.task.status).toBe('SUCCEEDED');
      expect(found?.attempts.map((a) => a.status)).toEqual(['FAILED', 'SUCCEEDED']);
    });

    it('filters by status, stack, worker, label and time, and pages with a cursor', async () => {
      for (let i = 0; i < 25; i++) {
        await store.write(
          finished(
            consoleResult(`t${String(i).padStart(2, '0')}`, {
              status: i % 5 === 0 ? 'FAILED' : 'SUCCEEDED',
              stack: i % 2 === 0 ? 'shell' : 'python-3.11',
              workerId: i < 10 ? 'w1' : 'w2',
              labels: { team: i % 3 === 0 ? 'red' : 'blue' },
              finishedAtMs: 1_700_000_000_000 + i * 1000,
            }),
          ),
        );
      }
      const failed = await store.tasks({ status: ['FAILED'], limit: 50 });
      expect(failed.items.map((t) => t.id)).toEqual(['t20', 't15', 't10', 't05', 't00']);
      const mix = await store.tasks({ stack: 'shell', worker: 'w2', labels: { team: 'red' }, limit: 50 });
      expect(mix.items.map((t) => t.id)).toEqual(['t24', 't18', 't12']);
      const window = await store.tasks({ fromMs: 1_700_000_003_000, toMs: 1_700_000_006_000, limit: 50 });
      expect(window.items.map((t) => t.id)).toEqual(['t05', 't04', 't03']);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.tasks({ limit: 7, cursor });
        seen.push(...page.items.map((t) => t.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
      expect(seen[0]).toBe('t24');
      await expect(store.tasks({ limit: 5, cursor: 'nonsense' })).rejects.toThrow(RangeError);
    });

    it('removes rows older than the retention cutoff', async () => {
      await store.write(finished(consoleResult('old', { finishedAtMs: 1000, labels: { a: 'b' } })));
      await store.write(finished(consoleResult('new', { finishedAtMs: 5000 })));
      const removed = await store.prune(2000);
      expect(removed).toMatchObject({ tasks: 1, attempts: 1 });
      expect(await store.task('old')).toBeNull();
      expect(await store.task('new')).not.toBeNull();
    });
  });
}
