import { describe, expect, it } from 'vitest';
import { timetableOf, timingViolation } from '../../src/schedules/schedule-timetable.js';

const at = (iso: string) => Date.parse(iso);

describe('schedule timetables', () => {
  it('every: ticks on the grid anchored at creation, strictly after / at or before', () => {
    const t = timetableOf({ cron: null, timeZone: null, everyMs: 30_000, anchorMs: 1_000 });
    expect(t.nextAfter(1_000)).toBe(31_000);
    expect(t.nextAfter(30_999)).toBe(31_000);
    expect(t.nextAfter(31_000)).toBe(61_000);
    expect(t.latestAtOrBefore(31_000)).toBe(31_000);
    expect(t.latestAtOrBefore(60_999)).toBe(31_000);
    expect(t.between(1_000, 100_000, 10)).toEqual([31_000, 61_000, 91_000]);
    expect(t.between(1_000, 100_000, 2)).toEqual([31_000, 61_000]);
  });

  it('cron in UTC: next, latest at or before (an exact tick counts), between', () => {
    const t = timetableOf({ cron: '*/5 * * * *', timeZone: null, everyMs: null, anchorMs: 0 });
    expect(t.nextAfter(at('2026-03-01T10:02:30Z'))).toBe(at('2026-03-01T10:05:00Z'));
    expect(t.nextAfter(at('2026-03-01T10:05:00Z'))).toBe(at('2026-03-01T10:10:00Z'));
    expect(t.latestAtOrBefore(at('2026-03-01T10:05:00Z'))).toBe(at('2026-03-01T10:05:00Z'));
    expect(t.latestAtOrBefore(at('2026-03-01T10:04:59.999Z'))).toBe(at('2026-03-01T10:00:00Z'));
    expect(t.between(at('2026-03-01T10:00:00Z'), at('2026-03-01T10:15:00Z'), 10)).toEqual([
      at('2026-03-01T10:05:00Z'),
      at('2026-03-01T10:10:00Z'),
      at('2026-03-01T10:15:00Z'),
    ]);
  });

  it('cron with seconds (6 fields)', () => {
    const t = timetableOf({ cron: '*/2 * * * * *', timeZone: null, everyMs: null, anchorMs: 0 });
    expect(t.nextAfter(at('2026-03-01T10:00:01.500Z'))).toBe(at('2026-03-01T10:00:02Z'));
    expect(t.latestAtOrBefore(at('2026-03-01T10:00:03.900Z'))).toBe(at('2026-03-01T10:00:02Z'));
  });

  it('cron in a time zone follows its daylight saving changes', () => {
    const t = timetableOf({ cron: '0 9 * * *', timeZone: 'Europe/Berlin', everyMs: null, anchorMs: 0 });
    // 09:00 in Berlin is 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST, from 29 March 2026).
    expect(t.nextAfter(at('2026-03-27T12:00:00Z'))).toBe(at('2026-03-28T08:00:00Z'));
    expect(t.nextAfter(at('2026-03-28T12:00:00Z'))).toBe(at('2026-03-29T07:00:00Z'));
    expect(t.latestAtOrBefore(at('2026-03-29T07:00:00Z'))).toBe(at('2026-03-29T07:00:00Z'));
  });

  it('rejects unusable timings with one clear line', () => {
    const base = { cron: null, timeZone: null, everyMs: null, anchorMs: 0 };
    expect(timingViolation(base)).toMatch(/exactly one of cron and every/);
    expect(timingViolation({ ...base, cron: '* * * * *', everyMs: 1000 })).toMatch(/exactly one/);
    expect(timingViolation({ ...base, everyMs: 999 })).toMatch(/at least 1000/);
    expect(timingViolation({ ...base, everyMs: 5000, timeZone: 'UTC' })).toMatch(/only applies to cron/);
    expect(timingViolation({ ...base, cron: '61 * * * *' })).toMatch(/cron '61 \* \* \* \*'.*minute/);
    expect(timingViolation({ ...base, cron: '0 9 * * *', timeZone: 'Mars/Base' })).toMatch(
      /unknown time zone 'Mars\/Base'/,
    );
    expect(timingViolation({ ...base, cron: '0 9 * * *', timeZone: 'America/New_York' })).toBeNull();
  });
});
