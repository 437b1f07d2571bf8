import type { AttemptFeed, LiveFeedPort } from '../domain/live-feed.js';
import type { TaskProgress } from '../domain/task-progress.js';
import { ProgressCoalescer } from './progress-coalescer.js';

/** Sends one encoded progress record; fire and forget for the publisher (it never awaits a task on it). */
export interface ProgressSendPort {
  send(record: { readonly key: string; readonly value: Uint8Array }): Promise<void>;
}

export interface ProgressPublisherOptions {
  readonly workerId: string;
  readonly send: ProgressSendPort;
  readonly encode: (p: TaskProgress) => Uint8Array;
  /** Launcher live-frame interval and the least time between two records of one attempt. */
  readonly intervalMs: number;
  /** Output bytes published per attempt at most. */
  readonly maxBytesPerTask: number;
  /** Records being sent at most; a chunk due beyond that is dropped (counted). Default 256. */
  readonly maxInFlight?: number;
  readonly now?: () => number;
  /** Called (rate-limited by the caller's logger if it likes) when a send fails. */
  readonly onError?: (err: unknown) => void;
}

interface AttemptState {
  readonly coalescer: ProgressCoalescer;
  seq: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Publishes running attempts' output and progress to the progress topic. Contract: best effort
 * and never in a task's way — `open` and every feed method return at once and never throw; a
 * record is handed to `send` without awaiting it, so neither a slow nor a failing broker delays a
 * result or a commit; at most `maxInFlight` records are outstanding (more are dropped, counted in
 * `dropped`); per attempt at most one record per `intervalMs` and `maxBytesPerTask` output bytes
 * (see ProgressCoalescer). `close()` of a feed publishes what is pending and forgets the attempt.
 */
export class ProgressPublisher implements LiveFeedPort {
  /** Records not sent because too many were in flight, or that failed. */
  dropped = 0;
  sent = 0;
  private inFlight = 0;
  private readonly now: () => number;
  private readonly maxInFlight: number;
  private readonly pendingSends = new Set<Promise<void>>();

  constructor(private readonly o: ProgressPublisherOptions) {
    this.now = o.now ?? Date.now;
    this.maxInFlight = o.maxInFlight ?? 256;
  }

  open(taskId: string, attempt: number): AttemptFeed {
    return new PublishedAttemptFeed(this, taskId, attempt);
  }

  /** The feeds' settings and clock (read by `PublishedAttemptFeed`). */
  get options(): ProgressPublisherOptions {
    return this.o;
  }

  get clock(): () => number {
    return this.now;
  }

  /** Waits (bounded) for records in flight; for shutdown. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.pendingSends.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.pendingSends]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Hands one record to `send` unless too many are in flight (for `PublishedAttemptFeed`). */
  publish(p: TaskProgress): void {
    if (this.inFlight >= this.maxInFlight) {
      this.dropped++;
      return;
    }
    let value: Uint8Array;
    try {
      value = this.o.encode(p);
    } catch (err) {
      this.dropped++;
      this.o.onError?.(err);
      return;
    }
    this.inFlight++;
    const sending = Promise.resolve()
      .then(() => this.o.send.send({ key: p.taskId, value }))
      .then(
        () => {
          this.sent++;
        },
        (err: unknown) => {
          this.dropped++;
          this.o.onError?.(err);
        },
      )
      .finally(() => {
        this.inFlight--;
        this.pendingSends.delete(sending);
      });
    this.pendingSends.add(sending);
  }
}

/**
 * One attempt's feed: a single object per attempt (opened for every task, so nothing else is
 * made until the attempt reports something — most never do); the coalescer is made on the
 * first output or progress.
 */
class PublishedAttemptFeed implements AttemptFeed {
  readonly intervalMs: number;
  private state: AttemptState | null = null;
  private closed = false;

  constructor(
    private readonly publisher: ProgressPublisher,
    private readonly taskId: string,
    private readonly attempt: number,
  ) {
    this.intervalMs = publisher.options.intervalMs;
  }

  output(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    if (this.closed) return;
    const s = this.stateOf();
    s.coalescer.addOutput(stream, data);
    this.schedule(s);
  }

  progress(percent: number | null, message: string): void {
    if (this.closed) return;
    const s = this.stateOf();
    s.coalescer.setProgress(percent === null ? null : Math.min(100, Math.max(0, percent)), message);
    this.schedule(s);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const s = this.state;
    if (s === null) return;
    if (s.timer !== null) clearTimeout(s.timer);
    this.flush(s, true);
  }

  private stateOf(): AttemptState {
    const o = this.publisher.options;
    this.state ??= {
      coalescer: new ProgressCoalescer({ minIntervalMs: o.intervalMs, maxBytes: o.maxBytesPerTask }),
      seq: 0,
      timer: null,
    };
    return this.state;
  }

  private schedule(s: AttemptState): void {
    if (this.closed || s.timer !== null) return;
    const wait = s.coalescer.waitMs(this.publisher.clock());
    if (wait === 0) this.flush(s, false);
    else s.timer = setTimeout(() => this.flush(s, false), wait).unref();
  }

  private flush(s: AttemptState, force: boolean): void {
    s.timer = null;
    const now = this.publisher.clock();
    const chunk = s.coalescer.take(now, force);
    if (chunk !== null)
      this.publisher.publish({
        taskId: this.taskId,
        attempt: this.attempt,
        workerId: this.publisher.options.workerId,
        seq: s.seq++,
        atMs: now,
        ...chunk,
      });
  }
}
