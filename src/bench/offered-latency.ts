import { percentile } from './bench-stats.js';

/** What the measurement needs of an event: its task id and the producer's clock. */
export interface OfferedEvent {
  readonly id: string;
  readonly createdAtMs: number;
}

/** One result as it arrives: the task id it answers and, optionally, when it arrived (epoch ms). */
export interface ArrivedResult {
  readonly id: string;
  readonly arrivedAtMs?: number;
}

/**
 * Results keyed by task id: an async iterable (e.g. `BerthClient.results()` mapped to ids), or a
 * subscription that calls back per result and returns an unsubscribe function.
 */
export type ResultSource =
  | AsyncIterable<ArrivedResult>
  | ((onResult: (result: ArrivedResult) => void) => () => void);

export interface OfferedLatencyOptions<E extends OfferedEvent> {
  /** Events per second offered. */
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  /** The i-th event, created at `nowMs` (its createdAtMs must be `nowMs`). */
  readonly makeEvent: (i: number, nowMs: number) => E;
  /** Sends one tick's events (not awaited before the next tick; a slow produce shows as latency). */
  readonly produce: (events: readonly E[]) => Promise<void>;
  readonly results: ResultSource;
  /** After the last produce, wait this long at most for the remaining results; default 30 s. */
  readonly drainTimeoutMs?: number;
  readonly now?: () => number;
}

export interface OfferedLatencyFigures {
  readonly offeredPerSecond: number;
  /** Events produced / the time the produce phase took (below offered when produce falls behind). */
  readonly producedPerSecond: number;
  readonly produced: number;
  readonly answered: number;
  /** Produced events with no result by the end of the drain wait. */
  readonly missing: number;
  /** Result arrival − event createdAtMs, per answered task (first result per id). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly produceErrors: number;
}

/** How many events are due `elapsedMs` into a run at `ratePerSecond`, capped at the run's total. */
export function eventsDue(ratePerSecond: number, elapsedMs: number, total: number): number {
  return Math.min(total, Math.floor((ratePerSecond * elapsedMs) / 1000));
}

function subscribe(source: ResultSource, onResult: (r: ArrivedResult) => void): () => void {
  if (typeof source === 'function') return source(onResult);
  let stopped = false;
  const iterator = source[Symbol.asyncIterator]();
  void (async () => {
    while (!stopped) {
      const next = await iterator.next();
      if (next.done) return;
      onResult(next.value);
    }
  })().catch(() => undefined);
  return () => {
    stopped = true;
    void iterator.return?.();
  };
}

const tick = () => new Promise<void>((r) => setTimeout(r, 1));

/**
 * Produced → result latency at a fixed offered rate: offers `ratePerSecond` events for
 * `durationSeconds`, spread evenly (each ~1 ms timer tick produces the events due by then in one
 * `produce` call), and records for every task its result's arrival time minus the event's
 * createdAtMs. The caller decides what an event is, how it is produced and where results come from.
 */
export async function offeredLatency<E extends OfferedEvent>(
  opts: OfferedLatencyOptions<E>,
): Promise<OfferedLatencyFigures> {
  const now = opts.now ?? Date.now;
  const total = Math.round(opts.ratePerSecond * opts.durationSeconds);
  const createdAt = new Map<string, number>();
  const latencies: number[] = [];
  let allAnswered: () => void = () => {};
  const answeredAll = new Promise<void>((r) => {
    allAnswered = r;
  });
  const early = new Map<string, number>();
  const unsubscribe = subscribe(opts.results, (r) => {
    const at = r.arrivedAtMs ?? now();
    const t = createdAt.get(r.id);
    if (t === undefined) {
      // A result may overtake the bookkeeping of its own produce call; settled when it is made.
      if (!early.has(r.id)) early.set(r.id, at);
      return;
    }
    createdAt.delete(r.id);
    latencies.push(at - t);
    if (latencies.length >= total) allAnswered();
  });
  const sends: Promise<void>[] = [];
  let produceErrors = 0;
  let made = 0;
  const start = now();
  try {
    while (made < total) {
      const due = eventsDue(opts.ratePerSecond, now() - start, total);
      if (due > made) {
        const events: E[] = [];
        for (; made < due; made++) {
          const e = opts.makeEvent(made, now());
          const arrived = early.get(e.id);
          if (arrived !== undefined) {
            early.delete(e.id);
            latencies.push(arrived - e.createdAtMs);
          } else createdAt.set(e.id, e.createdAtMs);
          events.push(e);
        }
        sends.push(
          opts.produce(events).catch(() => {
            produceErrors += events.length;
          }),
        );
      }
      if (made < total) await tick();
    }
    await Promise.all(sends);
    const producedSeconds = (now() - start) / 1000;
    if (latencies.length >= total) allAnswered();
    const drainMs = opts.drainTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([answeredAll, new Promise<void>((r) => (timer = setTimeout(r, drainMs)))]);
    clearTimeout(timer);
    return {
      offeredPerSecond: opts.ratePerSecond,
      producedPerSecond: total / Math.max(producedSeconds, 1e-3),
      produced: total,
      answered: latencies.length,
      missing: total - latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.length === 0 ? Number.NaN : latencies.reduce((a, b) => Math.max(a, b)),
      produceErrors,
    };
  } finally {
    unsubscribe();
  }
}
