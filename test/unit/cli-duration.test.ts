import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { formatDuration, parseDurationMs } from '../../src/cli/duration-flag.js';

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli');

describe('CLI durations', () => {
  it('need a unit: ms, s, m, h', () => {
    expect(parseDurationMs('500ms', 't')).toBe(500);
    expect(parseDurationMs('30s', 't')).toBe(30_000);
    expect(parseDurationMs('1.5m', 't')).toBe(90_000);
    expect(parseDurationMs('10m', 't')).toBe(600_000);
    expect(parseDurationMs('1h', 't')).toBe(3_600_000);
    expect(parseDurationMs(' 2s ', 't')).toBe(2000);
  });

  it('a bare number is refused with a hint naming both readings', () => {
    expect(() => parseDurationMs('30', 'timeout')).toThrow(UsageError);
    expect(() => parseDurationMs('30', 'timeout')).toThrow(
      "--timeout: '30' is not a duration (a duration needs a unit: 30s or 30ms?)",
    );
  });

  it('other junk is refused with examples', () => {
    for (const bad of ['soon', '-5s', '5 s', '5d', '', 's', '1e3ms']) {
      expect(() => parseDurationMs(bad, 'wait-timeout'), bad).toThrow(
        new RegExp(
          `^--wait-timeout: '${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is not a duration \\(e\\.g\\. 500ms, 30s, 10m, 1h\\)$`,
        ),
      );
    }
  });

  it('formats for humans', () => {
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(30_000)).toBe('30 s');
    expect(formatDuration(600_000)).toBe('10 min');
    expect(formatDuration(5_400_000)).toBe('90 min');
    expect(formatDuration(9_000_000)).toBe('2.5 h');
  });

  it('is the only duration parser in the CLI: every duration flag goes through it', () => {
    const files = readdirSync(join(cliDir, 'commands')).map((f) => join(cliDir, 'commands', f));
    const durationFlags = ['timeout', 'wait-timeout', 'since'];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/\(ms\|s\|m\|h\)/); // no second parser
      for (const flag of durationFlags) {
        if (new RegExp(`'${flag}': \\{ type|\\b${flag}: \\{ type`).test(text)) {
          expect(text, `${file} --${flag}`).toMatch(/parseDurationMs|parseSince/);
        }
      }
    }
  });
});
