import type { ExecutionOutcome } from '../domain/executor-port.js';
import type { TaskEvent } from '../domain/task-event.js';

/** What to publish after an attempt ran. */
export type Route =
  | { readonly kind: 'result' }
  | { readonly kind: 'retry'; readonly next: TaskEvent; readonly notBeforeMs: number }
  | { readonly kind: 'exhausted'; readonly reason: string };

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  readonly retryMaxDelayMs: number;
}

const RETRIABLE = new Set<ExecutionOutcome['status']>(['FAILED', 'TIMED_OUT', 'KILLED']);

/**
 * Jittered exponential backoff for attempt n (1-based, the attempt that just failed): uniform in
 * [d/2, d] with d = min(max, base·2^(n-1)), so a retry never fires at once yet spreads out.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + (random() * d) / 2);
}

/**
 * Routes an attempt's outcome. Contract: SUCCEEDED and CANCELLED end in a result; FAILED,
 * TIMED_OUT and KILLED go to berth.retry (attempt + 1, not before a jittered backoff) while the
 * task has attempts left; when a task allowed more than one attempt and the last one failed, it is
 * `exhausted`: the caller dead-letters it AND publishes the final result. A task with a single
 * attempt ends in its result only.
 */
export function routeOutcome(
  event: TaskEvent,
  outcome: ExecutionOutcome,
  policy: RetryPolicy,
  nowMs: number,
  random = Math.random,
): Route {
  if (!RETRIABLE.has(outcome.status)) return { kind: 'result' };
  if (event.attempt < policy.maxAttempts) {
    const delay = retryDelayMs(event.attempt, policy.retryDelayMs, policy.retryMaxDelayMs, random);
    return { kind: 'retry', next: { ...event, attempt: event.attempt + 1 }, notBeforeMs: nowMs + delay };
  }
  if (policy.maxAttempts > 1) {
    return {
      kind: 'exhausted',
      reason: `retries_exhausted: ${event.attempt} of ${policy.maxAttempts} attempts ended ${outcome.status}`,
    };
  }
  return { kind: 'result' };
}
