import { describe, expect, it } from 'vitest';
import { BenchSummary, ratioText, summaryTable } from '../../src/bench/bench-summary.js';

describe('ratioText', () => {
  it('formats a / b with what it compares', () => {
    expect(ratioText(50, 200, 'of bare loop')).toBe('0.25x of bare loop');
    expect(ratioText(1, 3, 'x', 3)).toBe('0.333x x');
  });

  it('is n/a when a side is missing, not finite or zero', () => {
    expect(ratioText(null, 2, 'a')).toBe('n/a');
    expect(ratioText(1, null, 'a')).toBe('n/a');
    expect(ratioText(1, 0, 'a')).toBe('n/a');
    expect(ratioText(Number.NaN, 2, 'a')).toBe('n/a');
  });
});

describe('summaryTable', () => {
  it('pads every column to its widest cell', () => {
    const lines = summaryTable([
      { measure: 'bare loop', value: '25000 records/s', ratio: '' },
      { measure: 'x', value: '1', ratio: '0.5x y' },
    ]);
    expect(lines).toEqual([
      '| measure   | value           | ratio (same run) |',
      '|-----------|-----------------|------------------|',
      '| bare loop | 25000 records/s |                  |',
      '| x         | 1               | 0.5x y           |',
    ]);
  });
});

describe('BenchSummary', () => {
  it('prints the table, then the notes', () => {
    const s = new BenchSummary();
    s.add('a', '1');
    s.note('Fn peer skipped: not built');
    const lines = s.lines();
    expect(lines).toHaveLength(4);
    expect(lines.at(-1)).toBe('- Fn peer skipped: not built');
  });
});
