import { fmt } from './bench-stats.js';

export interface SummaryRow {
  readonly measure: string;
  readonly value: string;
  /** A ratio against another row of the same run, spelled out (e.g. "0.42 of bare Kafka loop"). */
  readonly ratio: string;
}

/** `a / b` formatted, with what it compares; `n/a` when either side is missing or b is 0. */
export function ratioText(a: number | null, b: number | null, against: string, digits = 2): string {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  return `${fmt(a / b, digits)}x ${against}`;
}

/** Rows as a Markdown table with padded columns (readable in a terminal and pasteable). */
export function summaryTable(rows: readonly SummaryRow[]): string[] {
  const header: SummaryRow = { measure: 'measure', value: 'value', ratio: 'ratio (same run)' };
  const all = [header, ...rows];
  const w = (k: keyof SummaryRow) => Math.max(3, ...all.map((r) => r[k].length));
  const [wm, wv, wr] = [w('measure'), w('value'), w('ratio')];
  const line = (r: SummaryRow) =>
    `| ${r.measure.padEnd(wm)} | ${r.value.padEnd(wv)} | ${r.ratio.padEnd(wr)} |`;
  return [
    line(header),
    `|${'-'.repeat(wm + 2)}|${'-'.repeat(wv + 2)}|${'-'.repeat(wr + 2)}|`,
    ...rows.map(line),
  ];
}

/** Collects the figures of one bench run, and notes about skipped sections, for the final table. */
export class BenchSummary {
  readonly rows: SummaryRow[] = [];
  readonly notes: string[] = [];

  add(measure: string, value: string, ratio = ''): void {
    this.rows.push({ measure, value, ratio });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  lines(): string[] {
    return [...summaryTable(this.rows), ...this.notes.map((n) => `- ${n}`)];
  }
}

/** Whether `value` meets `target` (`>=` or `<=`), spelled out: "target ≥ 0.15: met", "target ≤ 2 ms: NOT met". */
export function targetText(value: number | null, op: '>=' | '<=', target: number, unit = ''): string {
  const goal = `target ${op === '>=' ? '≥' : '≤'} ${target}${unit === '' ? '' : ` ${unit}`}`;
  if (value === null || !Number.isFinite(value)) return `${goal}: n/a`;
  const met = op === '>=' ? value >= target : value <= target;
  return `${goal}: ${met ? 'met' : 'NOT met'}`;
}
