import { codePackageCodec } from '../codecs/code-package-codec.js';
import { DecodeError } from '../codecs/codec.js';
import { taskEventCodec } from '../codecs/task-event-codec.js';
import { taskResultCodec } from '../codecs/task-result-codec.js';
import { workerStatsCodec } from '../codecs/worker-stats-codec.js';
import type { TaskEvent } from '../domain/task-event.js';
import type { TopicRecord } from '../kafka/client-topic-reader.js';
import type { TopicNames } from '../kafka/topic-names.js';
import type { ResultStore, StoreBatch } from './result-store.js';
import {
  attemptRow,
  dlqRow,
  finishedTaskRow,
  packageRow,
  queuedTaskRow,
  workerRow,
} from './store-records.js';

/** Counters of what the feed stored and skipped, for /api/health and the bench. */
export interface FeedCounters {
  stored: number;
  results: number;
  skipped: number;
  batches: number;
  lastStoredAtMs: number | null;
}

/**
 * Turns consumed records into store rows and writes each batch in one transaction. Records that
 * are not values of their topic's schema are counted and skipped (like any consumer of the
 * topic would); a schema registry that cannot answer rejects the batch (retried, nothing lost).
 * A progress topic, when one exists, is followed but not stored yet.
 */
export class StoreFeed {
  readonly counters: FeedCounters = { stored: 0, results: 0, skipped: 0, batches: 0, lastStoredAtMs: null };
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly store: ResultStore,
    private readonly topics: TopicNames,
    private readonly log: (line: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** The topics the feed reads (the lanes' tasks topics too, so queued tasks show before they finish). */
  followedTopics(): string[] {
    const t = this.topics;
    return [t.results, t.dlq, t.metrics, t.code, t.tasks, t.tasksHigh, t.tasksLow];
  }

  /** Called after each stored batch (the UI's live updates). Returns the unsubscribe function. */
  onStored(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async handle(records: readonly TopicRecord[]): Promise<void> {
    const batch: { -readonly [K in keyof StoreBatch]: StoreBatch[K][number][] } = {
      queued: [],
      finished: [],
      dlq: [],
      workers: [],
      packages: [],
    };
    for (const rec of records) {
      try {
        await this.add(batch, rec);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        this.counters.skipped++;
        this.log(`skipped ${rec.topic}/${rec.partition}/${rec.offset}: ${err.message}`);
      }
    }
    await this.store.write(batch);
    this.counters.stored += records.length;
    this.counters.results += batch.finished.length;
    this.counters.batches++;
    this.counters.lastStoredAtMs = this.now();
    for (const fn of this.listeners) fn();
  }

  private async add(
    batch: { -readonly [K in keyof StoreBatch]: StoreBatch[K][number][] },
    rec: TopicRecord,
  ): Promise<void> {
    const t = this.topics;
    const meta = { ...rec };
    if (rec.value === null) return; // a tombstone: nothing to store
    switch (rec.topic) {
      case t.results: {
        const r = await taskResultCodec.decodeAsync(rec.value);
        batch.finished.push({ task: finishedTaskRow(r, meta), attempt: attemptRow(r, meta) });
        return;
      }
      case t.tasks:
      case t.tasksHigh:
      case t.tasksLow: {
        const e = await taskEventCodec.decodeAsync(rec.value);
        batch.queued.push(queuedTaskRow(e, rec.value, meta));
        return;
      }
      case t.dlq: {
        let event: TaskEvent | null = null;
        try {
          event = await taskEventCodec.decodeAsync(rec.value);
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err; // an undecodable dead letter is still stored
        }
        batch.dlq.push(dlqRow(rec.value, event, meta));
        return;
      }
      case t.metrics:
        batch.workers.push(workerRow(await workerStatsCodec.decodeAsync(rec.value)));
        return;
      case t.code:
        batch.packages.push(packageRow(await codePackageCodec.decodeAsync(rec.value)));
        return;
      default:
        return;
    }
  }
}
