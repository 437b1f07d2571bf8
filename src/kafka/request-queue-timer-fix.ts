import { createRequire } from 'node:module';

/** The KafkaJS version whose request queue this fix replaces methods of. */
export const FIXED_KAFKAJS_VERSION = '2.2.4';

/** KafkaJS's interval for re-checking queued requests (`CHECK_PENDING_REQUESTS_INTERVAL`). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** KafkaJS's longest period between request timeout checks of one connection. */
const REQUEST_TIMEOUT_CHECK_MAX_MS = 100;

/** A request sent and not answered yet (KafkaJS's SocketRequest, the members the sweep reads). */
interface InflightRequest {
  readonly sentAt: number;
  readonly requestTimeout: number;
  timeoutRequest(): void;
}

/** The members of KafkaJS's RequestQueue (src/network/requestQueue/index.js) the fix touches. */
export interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  enforceRequestTimeout: boolean;
  requestTimeout: number;
  inflight: Map<number, InflightRequest>;
  isConnected(): boolean;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  scheduleRequestTimeoutCheck(): void;
  destroy(): void;
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

/**
 * Request timeouts of every connection, checked by one timer. KafkaJS 2.2.4 gives each
 * connection an interval of its own (every `min(requestTimeout, 100)` ms, from connect until
 * the connection is destroyed): a worker holds about 26 connections, so its event loop woke
 * about 260 times a second for nothing, idle or busy. Here one interval, running while any
 * connection is registered, does for each registered queue what KafkaJS's interval did: times
 * out requests in flight longer than their timeout, and destroys the queue of a connection that
 * is no longer connected. Its period is the shortest any registered queue asks for.
 */
class RequestTimeoutSweep {
  private readonly queues = new Set<RequestQueueInternals>();
  private timer: NodeJS.Timeout | undefined;
  private periodMs = REQUEST_TIMEOUT_CHECK_MAX_MS;

  add(queue: RequestQueueInternals): void {
    this.queues.add(queue);
    this.arm();
  }

  remove(queue: RequestQueueInternals): void {
    if (this.queues.delete(queue)) this.arm();
  }

  /** Runs the timer at the shortest period a registered queue asks for; none without queues. */
  private arm(): void {
    let periodMs = REQUEST_TIMEOUT_CHECK_MAX_MS;
    for (const q of this.queues) periodMs = Math.min(periodMs, Math.max(1, q.requestTimeout));
    if (this.queues.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer !== undefined && periodMs === this.periodMs) return;
    clearInterval(this.timer);
    this.periodMs = periodMs;
    this.timer = setInterval(() => this.sweep(), periodMs);
  }

  /** Connections whose request timeouts are being checked. */
  get size(): number {
    return this.queues.size;
  }

  private sweep(): void {
    const now = Date.now();
    for (const queue of this.queues) {
      for (const request of queue.inflight.values())
        if (now - request.sentAt > request.requestTimeout) request.timeoutRequest();
      if (!queue.isConnected()) queue.destroy();
    }
  }
}

const sweep = new RequestTimeoutSweep();

/** Connections whose request timeouts the shared sweep checks (for tests and diagnostics). */
export function sweptRequestQueues(): number {
  return sweep.size;
}

/** KafkaJS's `scheduleRequestTimeoutCheck`, on the shared sweep instead of an interval per connection. */
export function scheduleRequestTimeoutCheck(this: RequestQueueInternals): void {
  if (!this.enforceRequestTimeout) return;
  this.destroy();
  sweep.add(this);
}

/** KafkaJS's `destroy`: the connection leaves the sweep, and a throttle check is cancelled. */
export function destroy(this: RequestQueueInternals): void {
  sweep.remove(this);
  clearTimeout(this.throttleCheckTimeoutId ?? undefined);
  this.throttleCheckTimeoutId = null;
}

let installed: boolean | null = null;

/**
 * Puts the fixed methods on KafkaJS's RequestQueue prototype, once per process, when the installed
 * KafkaJS is the version they were written against (another version is left as it is: it may have
 * changed or fixed them). Returns whether the fix is in place.
 */
export function installRequestQueueTimerFix(): boolean {
  if (installed !== null) return installed;
  const require = createRequire(import.meta.url);
  const version = (require('kafkajs/package.json') as { version: string }).version;
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: Partial<RequestQueueInternals>;
  };
  const proto = RequestQueue.prototype;
  installed =
    version === FIXED_KAFKAJS_VERSION &&
    typeof proto.scheduleCheckPendingRequests === 'function' &&
    typeof proto.scheduleRequestTimeoutCheck === 'function' &&
    typeof proto.destroy === 'function';
  if (installed) {
    proto.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
    proto.scheduleRequestTimeoutCheck = scheduleRequestTimeoutCheck;
    proto.destroy = destroy;
  }
  return installed;
}
