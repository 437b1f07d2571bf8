import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { parseRunAtMs, scheduleFlags } from '../../src/cli/run-at-flag.js';

describe('berth submit --delay / --at', () => {
  it('--at takes an ISO 8601 date-time with a zone', () => {
    expect(parseRunAtMs('2026-12-01T09:00Z', 'at')).toBe(Date.UTC(2026, 11, 1, 9, 0));
    expect(parseRunAtMs('2026-12-01T10:00:30+01:00', 'at')).toBe(Date.UTC(2026, 11, 1, 9, 0, 30));
  });

  it('--at without a zone, or not a time at all, is a usage error naming the flag', () => {
    for (const bad of ['2026-12-01T09:00', '2026-12-01', 'tomorrow', '2026-13-01T09:00Z', '1764000000000']) {
      expect(() => parseRunAtMs(bad, 'at'), bad).toThrow(UsageError);
    }
    expect(() => parseRunAtMs('2026-12-01T09:00', 'at')).toThrow(/--at: .* with a zone/);
  });

  it('--delay needs a unit; --delay and --at exclude each other', () => {
    expect(scheduleFlags('10m', undefined)).toEqual({ delayMs: 600_000 });
    expect(scheduleFlags(undefined, '2026-12-01T09:00Z')).toEqual({ runAt: Date.UTC(2026, 11, 1, 9) });
    expect(scheduleFlags(undefined, undefined)).toEqual({});
    expect(() => scheduleFlags('10', undefined)).toThrow(/--delay: '10' is not a duration/);
    expect(() => scheduleFlags('1m', '2026-12-01T09:00Z')).toThrow(/exclude each other/);
  });
});
