import type { Kafka } from 'kafkajs';
import { taskProgressCodec } from '../codecs/task-progress-codec.js';
import type { LiveFeedPort } from '../domain/live-feed.js';
import { ProgressProducer } from '../kafka/progress-producer.js';
import { ProgressPublisher } from './progress-publisher.js';

export interface ProgressServiceOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly workerId: string;
  readonly intervalMs: number;
  readonly maxBytesPerTask: number;
  readonly log: (line: string) => void;
}

/** Failures are logged at most once per this long (progress is best effort). */
const ERROR_LOG_EVERY_MS = 60_000;

/**
 * The worker's progress publishing: a ProgressPublisher over its own producer of the progress
 * topic. `feeds` is what the task runner opens attempt feeds on; `close` waits briefly for
 * records in flight and disconnects (never holds a shutdown up for more than `drainMs`).
 */
export class ProgressService {
  readonly feeds: ProgressPublisher;
  private readonly producer: ProgressProducer;
  private lastErrorLogMs = 0;

  constructor(o: ProgressServiceOptions) {
    this.producer = new ProgressProducer(o.kafka, o.topic);
    this.feeds = new ProgressPublisher({
      workerId: o.workerId,
      send: this.producer,
      encode: (p) => taskProgressCodec.encode(p),
      intervalMs: o.intervalMs,
      maxBytesPerTask: o.maxBytesPerTask,
      onError: (err) => {
        const now = Date.now();
        if (now - this.lastErrorLogMs < ERROR_LOG_EVERY_MS) return;
        this.lastErrorLogMs = now;
        o.log(`progress not published (best effort, logged once a minute): ${(err as Error).message}`);
      },
    });
  }

  get port(): LiveFeedPort {
    return this.feeds;
  }

  async close(drainMs = 2_000): Promise<void> {
    await this.feeds.drain(drainMs);
    await this.producer.disconnect();
  }
}
