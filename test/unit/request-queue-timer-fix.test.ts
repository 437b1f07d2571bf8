import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  installRequestQueueTimerFix,
  type RequestQueueInternals,
  sweptRequestQueues,
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

/** A connected queue with requests in flight, registered through KafkaJS's prototype (as patched). */
function connection(inflight: { sentAt: number; requestTimeout: number }[], requestTimeout = 30_000) {
  let connected = true;
  const timedOut: number[] = [];
  const q = {
    pending: [],
    throttledUntil: -1,
    throttleCheckTimeoutId: null as NodeJS.Timeout | null,
    enforceRequestTimeout: true,
    requestTimeout,
    inflight: new Map(inflight.map((r, i) => [i, { ...r, timeoutRequest: () => timedOut.push(i) }] as const)),
    isConnected: () => connected,
    checkPendingRequests: vi.fn(),
    scheduleCheckPendingRequests: () => {},
    scheduleRequestTimeoutCheck: () => {},
    destroy: () => RequestQueue.prototype.destroy.call(q as unknown as RequestQueueInternals),
  };
  RequestQueue.prototype.scheduleRequestTimeoutCheck.call(q as unknown as RequestQueueInternals);
  return {
    q,
    timedOut,
    disconnect: () => {
      connected = false;
    },
    close: () => q.destroy(),
  };
}

describe('KafkaJS request timeout sweep', () => {
  it('checks every connection with one timer, not an interval each', () => {
    installRequestQueueTimerFix();
    vi.useFakeTimers();
    const before = sweptRequestQueues();
    const conns = Array.from({ length: 26 }, () => connection([]));
    expect(sweptRequestQueues()).toBe(before + 26);
    expect(vi.getTimerCount()).toBe(1);
    for (const c of conns) c.close();
    expect(sweptRequestQueues()).toBe(before);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('times out only the requests older than their own timeout, within 100 ms', () => {
    installRequestQueueTimerFix();
    vi.useFakeTimers();
    const now = Date.now();
    const c = connection([
      { sentAt: now, requestTimeout: 1000 },
      { sentAt: now, requestTimeout: 5000 },
    ]);
    vi.advanceTimersByTime(1000);
    expect(c.timedOut).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(c.timedOut).toEqual([0]);
    c.close();
  });

  it('destroys the queue of a connection that is no longer connected', () => {
    installRequestQueueTimerFix();
    vi.useFakeTimers();
    const before = sweptRequestQueues();
    const c = connection([]);
    c.disconnect();
    vi.advanceTimersByTime(100);
    expect(sweptRequestQueues()).toBe(before);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('checks as often as the shortest request timeout asks, when it is under 100 ms', () => {
    installRequestQueueTimerFix();
    vi.useFakeTimers();
    const slow = connection([]);
    const fast = connection([{ sentAt: Date.now(), requestTimeout: 20 }], 20);
    vi.advanceTimersByTime(40);
    expect(fast.timedOut).toEqual([0]);
    expect(vi.getTimerCount()).toBe(1);
    // Once the fast one is gone, the sweep goes back to 100 ms.
    fast.close();
    const late = connection([{ sentAt: Date.now(), requestTimeout: 30 }]);
    vi.advanceTimersByTime(99);
    expect(late.timedOut).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(late.timedOut).toEqual([0]);
    late.close();
    slow.close();
  });
});

describe('KafkaJS request timeouts through the shared sweep, on a real connection', () => {
  it('times out a request a broker never answers, and leaves no connection in the sweep', async () => {
    installRequestQueueTimerFix();
    const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');
    const { createServer } = await import('node:net');
    // A "broker" that accepts connections and never answers a request.
    const sockets = new Set<import('node:net').Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    const before = sweptRequestQueues();
    const kafka = new Kafka({
      clientId: 'sweep-test',
      brokers: [`127.0.0.1:${port}`],
      requestTimeout: 300,
      connectionTimeout: 1000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    const started = Date.now();
    try {
      await expect(admin.connect()).rejects.toThrow(/timed out/i);
      // 300 ms timeout, checked every 100 ms at most.
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await admin.disconnect().catch(() => {});
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
    expect(sweptRequestQueues()).toBe(before);
  });
});
