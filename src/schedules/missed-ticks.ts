import type { MissedTickPolicy } from './schedule.js';
import type { Timetable } from './schedule-timetable.js';

/** Most ticks `ALL` fires in one pass; the rest follow in later passes. */
export const MAX_CATCH_UP_TICKS = 100;

/** How far the skipped ticks are counted (for the log line) before the count is reported as "at least". */
const COUNT_LIMIT = 10_000;

/** What one pass over a schedule decided. */
export interface TickDecision {
  /** Ticks to fire now, oldest first. */
  readonly fire: readonly number[];
  /** Due ticks passed over without firing (counted up to 10 000). */
  readonly skipped: number;
  /** Every tick at or before this is dealt with (fired or skipped): where the next pass starts. */
  readonly handledThroughMs: number;
}

export interface TickQuestion {
  readonly timetable: Timetable;
  readonly policy: MissedTickPolicy;
  /** Ticks at or before this are dealt with: max(last fired tick, active since). */
  readonly handledThroughMs: number;
  readonly nowMs: number;
  /**
   * A due tick fired within this long after its time is on time; a later one is "missed" (only
   * `SKIP` treats the two differently).
   */
  readonly lateToleranceMs: number;
}

/**
 * Which of the ticks in (handledThroughMs, nowMs] fire now. Pure: the same question gives the same
 * answer on every scheduler, which is what lets a new owner continue where the old one stopped.
 * On-time operation sees one due tick per pass and fires it under every policy.
 */
export function decideTicks(q: TickQuestion): TickDecision {
  const { timetable, policy, handledThroughMs, nowMs } = q;
  const latest = timetable.latestAtOrBefore(nowMs);
  if (latest === null || latest <= handledThroughMs) {
    return { fire: [], skipped: 0, handledThroughMs };
  }
  if (policy === 'ALL') {
    const fire = timetable.between(handledThroughMs, nowMs, MAX_CATCH_UP_TICKS);
    return { fire, skipped: 0, handledThroughMs: fire.at(-1) ?? handledThroughMs };
  }
  const older = timetable.between(handledThroughMs, latest - 1, COUNT_LIMIT).length;
  if (policy === 'SKIP' && nowMs - latest > q.lateToleranceMs) {
    return { fire: [], skipped: older + 1, handledThroughMs: latest };
  }
  return { fire: [latest], skipped: older, handledThroughMs: latest };
}
