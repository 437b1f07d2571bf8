import { describe, expect, it } from 'vitest';
import { decideTicks, MAX_CATCH_UP_TICKS } from '../../src/schedules/missed-ticks.js';
import type { MissedTickPolicy } from '../../src/schedules/schedule.js';
import { timetableOf } from '../../src/schedules/schedule-timetable.js';

const every10s = timetableOf({ cron: null, timeZone: null, everyMs: 10_000, anchorMs: 0 });
const ask = (policy: MissedTickPolicy, handledThroughMs: number, nowMs: number) =>
  decideTicks({ timetable: every10s, policy, handledThroughMs, nowMs, lateToleranceMs: 5_000 });

describe('missed-tick policy', () => {
  it('nothing due: nothing fires, the cursor stays', () => {
    for (const p of ['LATEST', 'SKIP', 'ALL'] as const) {
      expect(ask(p, 10_000, 19_999)).toEqual({ fire: [], skipped: 0, handledThroughMs: 10_000 });
    }
  });

  it('one tick due on time: every policy fires it', () => {
    for (const p of ['LATEST', 'SKIP', 'ALL'] as const) {
      expect(ask(p, 10_000, 20_050)).toEqual({ fire: [20_000], skipped: 0, handledThroughMs: 20_000 });
    }
  });

  it('LATEST: after an outage fires the most recent missed tick once and skips the older ones', () => {
    expect(ask('LATEST', 10_000, 65_000)).toEqual({ fire: [60_000], skipped: 4, handledThroughMs: 60_000 });
    // The next pass has nothing left: the skipped ones never come back.
    expect(ask('LATEST', 60_000, 65_000).fire).toEqual([]);
  });

  it('SKIP: fires a due tick within the tolerance, none later', () => {
    expect(ask('SKIP', 10_000, 64_000)).toEqual({ fire: [60_000], skipped: 4, handledThroughMs: 60_000 });
    expect(ask('SKIP', 10_000, 66_000)).toEqual({ fire: [], skipped: 5, handledThroughMs: 60_000 });
  });

  it('ALL: fires every missed tick oldest first, at most MAX_CATCH_UP_TICKS per pass', () => {
    expect(ask('ALL', 10_000, 45_000)).toEqual({
      fire: [20_000, 30_000, 40_000],
      skipped: 0,
      handledThroughMs: 40_000,
    });
    const many = ask('ALL', 0, 10_000 * (MAX_CATCH_UP_TICKS + 50));
    expect(many.fire).toHaveLength(MAX_CATCH_UP_TICKS);
    expect(many.handledThroughMs).toBe(10_000 * MAX_CATCH_UP_TICKS);
    expect(ask('ALL', many.handledThroughMs, 10_000 * (MAX_CATCH_UP_TICKS + 50)).fire).toHaveLength(50);
  });

  it('is the same answer for the same question (what a new owner relies on)', () => {
    expect(ask('LATEST', 10_000, 65_000)).toEqual(ask('LATEST', 10_000, 65_000));
  });
});
