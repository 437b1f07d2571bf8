import { Cron } from 'croner';
import { MIN_EVERY_MS } from './schedule.js';

/**
 * When a schedule's ticks fall, in epoch milliseconds. Contract: ticks are whole instants,
 * strictly increasing; `nextAfter(t)` is the first tick > t; `latestAtOrBefore(t)` the last tick
 * <= t; `between(a, b, limit)` the ticks in (a, b], oldest first, at most `limit`.
 */
export interface Timetable {
  nextAfter(ms: number): number | null;
  latestAtOrBefore(ms: number): number | null;
  between(afterMs: number, atOrBeforeMs: number, limit: number): number[];
}

/** The timing part of a schedule. */
export interface Timing {
  readonly cron: string | null;
  readonly timeZone: string | null;
  readonly everyMs: number | null;
  readonly anchorMs: number;
}

/** A cron expression evaluated by croner (a maintained library) in an IANA time zone. */
class CronTimetable implements Timetable {
  private readonly cron: Cron;

  constructor(expr: string, timeZone: string | null) {
    // No callback: croner only computes, it never starts a timer.
    this.cron = new Cron(expr, { timezone: timeZone ?? 'UTC', mode: '5-or-6-parts' });
    // An unknown zone only fails on the first computation: make it fail here.
    this.cron.nextRun(new Date(0));
  }

  nextAfter(ms: number): number | null {
    return this.cron.nextRun(new Date(ms))?.getTime() ?? null;
  }

  latestAtOrBefore(ms: number): number | null {
    // previousRuns is strictly before its reference: the reference is the next whole second.
    const ref = Math.floor(ms / 1000) * 1000 + 1000;
    return this.cron.previousRuns(1, new Date(ref))[0]?.getTime() ?? null;
  }

  between(afterMs: number, atOrBeforeMs: number, limit: number): number[] {
    const out: number[] = [];
    let t = this.nextAfter(afterMs);
    while (t !== null && t <= atOrBeforeMs && out.length < limit) {
      out.push(t);
      t = this.nextAfter(t);
    }
    return out;
  }
}

/** Ticks at `anchorMs + k * everyMs` for every integer k. */
class EveryTimetable implements Timetable {
  constructor(
    private readonly everyMs: number,
    private readonly anchorMs: number,
  ) {}

  nextAfter(ms: number): number {
    return this.anchorMs + (Math.floor((ms - this.anchorMs) / this.everyMs) + 1) * this.everyMs;
  }

  latestAtOrBefore(ms: number): number {
    return this.anchorMs + Math.floor((ms - this.anchorMs) / this.everyMs) * this.everyMs;
  }

  between(afterMs: number, atOrBeforeMs: number, limit: number): number[] {
    const out: number[] = [];
    for (let t = this.nextAfter(afterMs); t <= atOrBeforeMs && out.length < limit; t += this.everyMs)
      out.push(t);
    return out;
  }
}

/**
 * The timetable of `timing`. Throws `TypeError` with a one-line reason for a timing that is not
 * exactly one of cron/every, a cron expression croner rejects, an unknown time zone, or an
 * interval under `MIN_EVERY_MS`.
 */
export function timetableOf(timing: Timing): Timetable {
  const { cron, everyMs } = timing;
  if ((cron === null) === (everyMs === null)) throw new TypeError('set exactly one of cron and every');
  if (everyMs !== null) {
    if (!Number.isSafeInteger(everyMs) || everyMs < MIN_EVERY_MS)
      throw new TypeError(`every must be a whole number of ms, at least ${MIN_EVERY_MS}, got ${everyMs}`);
    if (timing.timeZone !== null) throw new TypeError('a time zone only applies to cron schedules');
    return new EveryTimetable(everyMs, timing.anchorMs);
  }
  try {
    return new CronTimetable(cron as string, timing.timeZone);
  } catch (err) {
    const why = (err as Error).message;
    if (/timezone/i.test(why))
      throw new TypeError(`unknown time zone '${timing.timeZone}' (use an IANA name such as Europe/Berlin)`);
    throw new TypeError(`cron '${cron}': ${why}`);
  }
}

/** Why `timing` is unusable, or null. */
export function timingViolation(timing: Timing): string | null {
  try {
    timetableOf(timing);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
