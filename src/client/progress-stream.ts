import { DecodeError } from '../codecs/codec.js';
import { taskProgressCodec } from '../codecs/task-progress-codec.js';
import type { TaskProgress } from '../domain/task-progress.js';
import type { KafkaInstance } from '../kafka/client-kafka.js';
import { TopicReader } from '../kafka/client-topic-reader.js';
import { AsyncQueue } from './async-queue.js';

/** Progress records as an async iterator; `ready` resolves once records produced from then on are seen. */
export type ProgressStream = AsyncIterableIterator<TaskProgress> & { readonly ready: Promise<void> };

export interface ProgressOptions {
  /**
   * `latest` (default): records produced from now on; `earliest`: everything still on the
   * progress topic (kept one day), e.g. to replay a running task's output from its start.
   */
  readonly from?: 'latest' | 'earliest' | { readonly timestampMs: number };
  /** Aborting ends the iteration and closes its reader. */
  readonly signal?: AbortSignal;
}

/**
 * Follows the progress topic for the records of `taskIds` (all attempts), in order per task.
 * Contract: best effort like the records themselves — undecodable records are skipped; a reader
 * failure ends the iteration with that error; the iteration never ends by itself (a task's end is
 * its result: stop when it arrives). `onClose` runs once when the stream is returned.
 */
export function openProgressStream(
  kafka: KafkaInstance,
  topic: string,
  brokers: readonly string[] | undefined,
  taskIds: readonly string[],
  opts: ProgressOptions,
  beforeStart: () => Promise<void>,
  onClose: () => void,
): ProgressStream {
  const ids = new Set(taskIds);
  let reader: TopicReader | null = null;
  const queue: AsyncQueue<TaskProgress> = new AsyncQueue(async () => {
    onClose();
    await reader?.close();
  });
  reader = new TopicReader({
    kafka,
    topic,
    from: opts.from ?? 'latest',
    brokers,
    groupPrefix: 'berth-client-progress',
    maxWaitMs: 200,
    onRecord: async (r) => {
      if (!r.value || !ids.has(r.key?.toString() ?? '')) return;
      try {
        queue.push(await taskProgressCodec.decodeAsync(r.value));
      } catch (err) {
        if (!(err instanceof DecodeError)) queue.fail(err);
      }
    },
  });
  if (opts.signal) {
    const stop = () => void queue.return();
    if (opts.signal.aborted) stop();
    else opts.signal.addEventListener('abort', stop, { once: true });
  }
  const started = reader;
  const ready = beforeStart().then(() => started.start());
  ready.catch((err) => queue.fail(err));
  return Object.assign(queue, { ready });
}
