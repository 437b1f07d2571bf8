import { UsageError } from './command.js';

const UNIT_MS = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 });

/** The duration units the CLI accepts, for help texts. */
export const DURATION_UNITS = 'ms, s, m, h';

/**
 * Parses a CLI duration: a number with a unit, `500ms`, `30s`, `1.5m`, `10m`, `1h`, into whole
 * milliseconds. Contract: every duration flag of every command goes through here; a bare number
 * (`30`: milliseconds or seconds?), a negative or an unknown unit is a one-line `UsageError` naming
 * the flag.
 */
export function parseDurationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) {
    const hint = /^\d+(?:\.\d+)?$/.test(text.trim())
      ? ` (a duration needs a unit: ${text.trim()}s or ${text.trim()}ms?)`
      : ` (e.g. 500ms, 30s, 10m, 1h)`;
    throw new UsageError(`--${flag}: '${text}' is not a duration${hint}`);
  }
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/** A duration for humans: `250 ms`, `30 s`, `10 min`, `1.5 h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 2 * 3_600_000) return `${+(ms / 60_000).toFixed(1)} min`;
  return `${+(ms / 3_600_000).toFixed(1)} h`;
}
