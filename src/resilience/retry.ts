import { isRetriable } from '../domain/infra-error.js';
import type { CancelSignal } from '../domain/task-cancel.js';

export interface RetryOptions {
  /** Attempts in total, including the first. `Infinity` retries until `signal` aborts. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Called before each wait; for logging and metrics. */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  readonly signal?: CancelSignal;
  /** Decides what is worth retrying; defaults to `InfraError` with `retriable: true`. */
  readonly shouldRetry?: (err: unknown) => boolean;
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base·2^(n-1))]. */
export function backoffDelayMs(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

/**
 * The project's one retry helper. Retries only what `shouldRetry` accepts (by default retriable
 * `InfraError`s), never programmer errors; rethrows the last error when attempts run out or the
 * signal aborts.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const shouldRetry = opts.shouldRetry ?? isRetriable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= opts.attempts || !shouldRetry(err) || opts.signal?.aborted) throw err;
      const delayMs = backoffDelayMs(attempt, opts.baseDelayMs, opts.maxDelayMs);
      opts.onRetry?.(err, attempt, delayMs);
      await sleep(delayMs, opts.signal);
      if (opts.signal?.aborted) throw err;
    }
  }
}

/** Resolves after `ms`, or early when `signal` aborts. */
export function sleep(ms: number, signal?: CancelSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
