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
    // Most attempts report nothing: the coalescer is made on the first output or progress.
    let state: AttemptState | null = null;
    let closed = false;
    const stateOf = (): AttemptState => {
      state ??= {
        coalescer: new ProgressCoalescer({
          minIntervalMs: this.o.intervalMs,
          maxBytes: this.o.maxBytesPerTask,
        }),
        seq: 0,
        timer: null,
      };
      return state;
    };
    const flush = (s: AttemptState, force: boolean) => {
      s.timer = null;
      const chunk = s.coalescer.take(this.now(), force);
      if (chunk !== null)
        this.publish({
          taskId,
          attempt,
          workerId: this.o.workerId,
          seq: s.seq++,
          atMs: this.now(),
          ...chunk,
        });
    };
    const schedule = (s: AttemptState) => {
      if (closed || s.timer !== null) return;
      const wait = s.coalescer.waitMs(this.now());
      if (wait === 0) flush(s, false);
      else s.timer = setTimeout(() => flush(s, false), wait).unref();
    };
    return {
      intervalMs: this.o.intervalMs,
      output: (stream, data) => {
        if (closed) return;
        const s = stateOf();
        s.coalescer.addOutput(stream, data);
        schedule(s);
      },
      progress: (percent, message) => {
        if (closed) return;
        const s = stateOf();
        s.coalescer.setProgress(percent === null ? null : Math.min(100, Math.max(0, percent)), message);
        schedule(s);
      },
      close: () => {
        if (closed) return;
        closed = true;
        if (state === null) return;
        if (state.timer !== null) clearTimeout(state.timer);
        flush(state, true);
      },
    };
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

  private publish(p: TaskProgress): void {
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
