import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  installRequestQueueTimerFix,
  type RequestQueueInternals,
} from '../../src/kafka/request-queue-timer-fix.js';

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
  prototype: RequestQueueInternals;
};

/** A queue's state, run through KafkaJS's own prototype method (as patched, or not). */
function queue(pending: unknown[], throttledUntil: number) {
  const q = {
    pending,
    throttledUntil,
    throttleCheckTimeoutId: null as NodeJS.Timeout | null,
    checkPendingRequests: vi.fn(),
  };
  RequestQueue.prototype.scheduleCheckPendingRequests.call(q as unknown as RequestQueueInternals);
  return q;
}

afterEach(() => vi.useRealTimers());

describe('KafkaJS request queue timer fix', () => {
  it('is installed for the KafkaJS in use', () => {
    expect(installRequestQueueTimerFix()).toBe(true);
  });

  it('arms no timer for an idle, unthrottled connection (KafkaJS re-armed one every 1 ms forever)', () => {
    installRequestQueueTimerFix();
    vi.useFakeTimers();
    const q = queue([], -1);
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still checks queued requests after 10 ms, and at the end of a throttle', () => {
    installRequestQueueTimerFix();
    vi.useFakeTimers();
    const queued = queue(['request'], -1);
    vi.advanceTimersByTime(9);
    expect(queued.checkPendingRequests).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(queued.checkPendingRequests).toHaveBeenCalledTimes(1);
    expect(queued.throttleCheckTimeoutId).toBeNull();

    const throttled = queue([], Date.now() + 50);
    vi.advanceTimersByTime(49);
    expect(throttled.checkPendingRequests).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(throttled.checkPendingRequests).toHaveBeenCalledTimes(1);
  });
});
