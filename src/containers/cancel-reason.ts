import type { CancelSignal } from '../domain/task-cancel.js';
/**
 * The reason a cancelled outcome carries: `cancelled: <why>` when the abort reason is an Error
 * with a message (the worker aborts with the cancel request's reason), else `cancelled` (also for
 * the platform's default reason of a bare `abort()`).
 */
export function cancelledReason(signal: CancelSignal): string {
  const r: unknown = signal.reason;
  const why = r instanceof Error && r.name !== 'AbortError' ? r.message.trim() : '';
  return why === '' || why === 'cancelled' ? 'cancelled' : `cancelled: ${why}`;
}

/** How long a launcher gets to answer a cancel signal with its result frame before the container is killed. */
export const CANCEL_GRACE_MS = 2_000;
