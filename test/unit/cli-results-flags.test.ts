import { describe, expect, it } from 'vitest';
import { parseSince, parseStatuses } from '../../src/cli/commands/results.js';

describe('berth results flags', () => {
  it('--since takes a duration back from now or an ISO 8601 time', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    expect(parseSince('10m', now)).toBe(now - 600_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('2025-06-01T11:30:00Z', now)).toBe(Date.parse('2025-06-01T11:30:00Z'));
    expect(parseSince('2025-06-01', now)).toBe(Date.parse('2025-06-01'));
    expect(() => parseSince('10', now)).toThrow(/--since: '10' is not a duration \(a duration needs a unit/);
    expect(() => parseSince('2025-13-45T99:00', now)).toThrow(
      "--since: '2025-13-45T99:00' is not an ISO 8601 time",
    );
  });

  it('--status: repeatable, comma-separated, any case; unknown names refused', () => {
    expect(parseStatuses(undefined)).toBeNull();
    expect([...(parseStatuses(['failed,timed_out', 'CANCELLED']) ?? [])]).toEqual([
      'FAILED',
      'TIMED_OUT',
      'CANCELLED',
    ]);
    expect(() => parseStatuses(['ok'])).toThrow(
      "--status: 'OK' is not one of SUCCEEDED, FAILED, TIMED_OUT, KILLED, CANCELLED, REJECTED",
    );
  });
});
