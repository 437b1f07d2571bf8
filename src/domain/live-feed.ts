/**
 * What a running attempt prints and reports, as it happens: the executor passes the launcher's
 * live frames here. Contract: best effort — methods never throw and never block; the executor
 * calls them in the order the frames arrived and never after the attempt's outcome resolved.
 */
export interface LiveFeed {
  /** The launcher coalesces output and progress into at most one live frame per this many ms. */
  readonly intervalMs: number;
  output(stream: 'stdout' | 'stderr', data: Uint8Array): void;
  /** Newest progress: percentage 0–100 (null: none given) and message ('' when none). */
  progress(percent: number | null, message: string): void;
}

/** A live feed for one attempt, opened by the worker before it runs and closed after its outcome. */
export interface AttemptFeed extends LiveFeed {
  /** Publishes what is pending (best effort, never awaited) and forgets the attempt. */
  close(): void;
}

/** Opens attempt feeds; the worker's progress publisher. */
export interface LiveFeedPort {
  open(taskId: string, attempt: number): AttemptFeed;
}
