import { DecodeError } from '../codecs/codec.js';
import { taskResultCodec } from '../codecs/task-result-codec.js';
import type { TaskResult } from '../domain/task-result.js';
import type { KafkaInstance } from '../kafka/client-kafka.js';
import { TopicReader, type TopicRecord } from '../kafka/client-topic-reader.js';

type Waiter = (result: TaskResult) => void;

/**
 * One shared reader of the results topic, from its end at `start()`, dispatching results to
 * waiters by task id. Contract: a waiter registered after `start()` resolved gets every result
 * for its id produced after that point. Undecodable records are counted and skipped.
 */
export class ResultListener {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private reader: TopicReader | null = null;
  private starting: Promise<void> | null = null;
  undecodable = 0;

  constructor(
    private readonly kafka: KafkaInstance,
    private readonly topic: string,
    private readonly brokers: readonly string[] | undefined,
  ) {}

  start(): Promise<void> {
    this.starting ??= (async () => {
      const reader = new TopicReader({
        kafka: this.kafka,
        topic: this.topic,
        from: 'latest',
        brokers: this.brokers,
        groupPrefix: 'berth-client-results',
        onRecord: (r) => this.dispatch(r),
      });
      this.reader = reader;
      await reader.start();
    })().catch((err) => {
      this.starting = null;
      throw err;
    });
    return this.starting;
  }

  /** Calls `fn` for each result of `taskId` until the returned function is called. */
  on(taskId: string, fn: Waiter): () => void {
    const set = this.waiters.get(taskId) ?? new Set<Waiter>();
    this.waiters.set(taskId, set);
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.waiters.delete(taskId);
    };
  }

  async close(): Promise<void> {
    await this.reader?.close();
  }

  private async dispatch(r: TopicRecord): Promise<void> {
    if (!r.value) return;
    const id = r.key?.toString();
    if (id === undefined || !this.waiters.has(id)) return; // decode only what someone waits for
    let result: TaskResult;
    try {
      result = await taskResultCodec.decodeAsync(r.value);
    } catch (err) {
      // A registry that cannot answer fails the read (the record is read again), never a skip.
      if (!(err instanceof DecodeError)) throw err;
      this.undecodable++;
      return;
    }
    for (const fn of [...(this.waiters.get(result.id) ?? [])]) fn(result);
  }
}
