import { UsageError } from './command.js';
import { parseDurationMs } from './duration-flag.js';

/** An ISO 8601 date-time with an explicit zone: `2026-12-01T09:00Z`, `2026-12-01T10:00:30+01:00`. */
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses `--at TIME` into epoch ms. Contract: only an ISO 8601 date-time with minutes and an
 * explicit zone (`Z` or `±hh:mm`) is accepted, so a time never depends on the machine's zone;
 * anything else is a one-line `UsageError` naming the flag.
 */
export function parseRunAtMs(text: string, flag: string): number {
  const t = text.trim();
  const ms = ZONED_TIME.test(t) ? Date.parse(t) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(
      `--${flag}: '${text}' is not a date-time with a zone (e.g. 2026-12-01T09:00Z or 2026-12-01T10:00+01:00)`,
    );
  }
  return ms;
}

/**
 * `--delay DUR` / `--at TIME` of `berth submit` as `TaskInput` fields: `{ delayMs }`, `{ runAt }`
 * or nothing; both at once is a usage error.
 */
export function scheduleFlags(
  delay: string | undefined,
  at: string | undefined,
): { delayMs?: number; runAt?: number } {
  if (delay !== undefined && at !== undefined) throw new UsageError('--delay and --at exclude each other');
  if (delay !== undefined) return { delayMs: parseDurationMs(delay, 'delay') };
  if (at !== undefined) return { runAt: parseRunAtMs(at, 'at') };
  return {};
}
