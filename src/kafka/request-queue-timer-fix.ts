import { createRequire } from 'node:module';

/** The KafkaJS version whose request queue this fix replaces a method of. */
export const FIXED_KAFKAJS_VERSION = '2.2.4';

/** KafkaJS's interval for re-checking queued requests (`CHECK_PENDING_REQUESTS_INTERVAL`). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The members of KafkaJS's RequestQueue (src/network/requestQueue/index.js) the fix touches. */
export interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/**
 * KafkaJS 2.2.4's `scheduleCheckPendingRequests`, fixed. The original arms a timer with delay
 * `throttledUntil − now` even when nothing is queued and the broker throttles nothing; that delay
 * is negative (`throttledUntil` is −1), Node runs it after 1 ms, and it arms the next one: once a
 * connection has answered its first request, every broker connection of every client wakes the
 * event loop about 1,000 times a second for as long as it lives (KafkaJS issues 1556 and 1704).
 * A worker holds a dozen such connections. Here, with nothing queued, a check is armed only for
 * the end of a throttle; queued requests are checked as before (at the throttle's end or in
 * 10 ms), and a request that completes still checks the queue at once (KafkaJS does that itself).
 */
export function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId) return;
  let delayMs = this.throttledUntil - Date.now();
  if (this.pending.length > 0) delayMs = delayMs > 0 ? delayMs : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  else if (delayMs <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delayMs);
}

let installed: boolean | null = null;

/**
 * Puts the fixed method on KafkaJS's RequestQueue prototype, once per process, when the installed
 * KafkaJS is the version it was written against (another version is left as it is: it may have
 * changed or fixed the method). Returns whether the fix is in place.
 */
export function installRequestQueueTimerFix(): boolean {
  if (installed !== null) return installed;
  const require = createRequire(import.meta.url);
  const version = (require('kafkajs/package.json') as { version: string }).version;
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: Partial<RequestQueueInternals>;
  };
  installed =
    version === FIXED_KAFKAJS_VERSION &&
    typeof RequestQueue.prototype.scheduleCheckPendingRequests === 'function';
  if (installed) RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return installed;
}
