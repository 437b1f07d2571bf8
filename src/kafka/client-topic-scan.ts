import type { Kafka } from 'kafkajs';
import { TopicReader, type TopicReaderOptions, type TopicRecord } from './client-topic-reader.js';

export interface ScanOptions {
  /** Brokers, for error messages only. */
  readonly brokers?: readonly string[];
  /** Longest the scan may take to reach the end of the topic (default 60 s). */
  readonly timeoutMs?: number;
  /** `earliest` (default) or `{ timestampMs }`: start at the first record at or after that time. */
  readonly from?: Exclude<TopicReaderOptions['from'], 'latest'>;
  /** Aborting stops the scan, closes its consumer and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Reads every record on `topic` now (from the start position to the current end) and returns;
 * records produced meanwhile may or may not be included. `onRecord` returning `false` ends the scan
 * early (no further record is passed); a promise it returns is awaited before the next record.
 * For CLI listings and result lookups.
 */
export async function scanTopic(
  kafka: Kafka,
  topic: string,
  onRecord: (record: TopicRecord) => unknown,
  opts: ScanOptions = {},
): Promise<void> {
  opts.signal?.throwIfAborted();
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  let done = false;
  const reader = new TopicReader({
    kafka,
    topic,
    from: opts.from ?? 'earliest',
    onRecord: async (record) => {
      if (done) return;
      if ((await onRecord(record)) === false) {
        done = true;
        stop();
      }
    },
    brokers: opts.brokers,
    groupPrefix: 'berth-scan',
    maxWaitMs: 100,
  });
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    await Promise.race([
      (async () => {
        await reader.start();
        await reader.waitUntilCaughtUp(opts.timeoutMs ?? 60_000);
      })(),
      stopped,
      aborted,
    ]);
  } finally {
    done = true;
    opts.signal?.removeEventListener('abort', onAbort);
    await reader.close();
  }
}
