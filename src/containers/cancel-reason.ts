/**
 * The reason a cancelled outcome carries: `cancelled: <why>` when the abort reason is an Error
 * with a message (the worker aborts with the cancel request's reason), else `cancelled`.
 */
export function cancelledReason(signal: AbortSignal): string {
  const why = signal.reason instanceof Error ? signal.reason.message.trim() : '';
  return why === '' || why === 'cancelled' ? 'cancelled' : `cancelled: ${why}`;
}

/** How long a launcher gets to answer a cancel signal with its result frame before the container is killed. */
export const CANCEL_GRACE_MS = 2_000;
