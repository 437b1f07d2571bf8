/**
 * The PromQL of monitoring/: expressions of the Grafana dashboard and of the alert rules, and the
 * rewrites that make them evaluable by plain Prometheus in tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parse } from 'yaml';

export const ROOT = join(import.meta.dirname, '..', '..');
export const PROM_DIR = join(ROOT, 'monitoring', 'prometheus');
export const RULES_FILE = join(PROM_DIR, 'rules', 'berth-alerts.yml');
const DASHBOARD_FILE = join(ROOT, 'monitoring', 'grafana', 'dashboards', 'berth.json');

interface Panel {
  targets?: { expr?: string }[];
  panels?: Panel[];
}

function dashboard(): { panels: Panel[]; templating: { list: { type: string; query?: unknown }[] } } {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
}

export function dashboardExprs(): string[] {
  const walk = (panels: Panel[]): string[] =>
    panels.flatMap((p) => [
      ...(p.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : [])),
      ...walk(p.panels ?? []),
    ]);
  return walk(dashboard().panels);
}

export function dashboardVariableQueries(): { metric: string; label: string }[] {
  return dashboard()
    .templating.list.filter((v) => v.type === 'query')
    .map((v) => {
      const q = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
      const m = /^label_values\(\s*([^,]+?)\s*,\s*(\w+)\s*\)$/.exec(q);
      if (!m?.[1] || !m[2]) throw new Error(`unsupported variable query: ${q}`);
      return { metric: m[1], label: m[2] };
    });
}

/** Replaces Grafana's built-in and dashboard variables with PromQL that selects everything. */
export function grafanaToPromql(expr: string): string {
  const out = expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$instance', '.+')
    .replaceAll('$stack', '.+');
  expect(out, `unhandled variable in ${expr}`).not.toContain('$');
  return out;
}

export function alertRules(): { alert: string; expr: string }[] {
  const doc = parse(readFileSync(RULES_FILE, 'utf8')) as {
    groups: { rules: { alert?: string; expr: string }[] }[];
  };
  return doc.groups.flatMap((g) =>
    g.rules.flatMap((r) => (r.alert ? [{ alert: r.alert, expr: r.expr }] : [])),
  );
}

/** Inserts `bool` after each comparison operator outside label matchers and strings. */
export function comparisonsToBool(expr: string): string {
  let out = '';
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < expr.length; i += 1) {
    const c = expr[i] ?? '';
    if (quote) {
      out += c;
      if (c === quote && expr[i - 1] !== '\\') quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    if (c === '{') depth += 1;
    if (c === '}') depth -= 1;
    const op = depth === 0 ? /^(==|!=|>=|<=|>|<)/.exec(expr.slice(i))?.[0] : undefined;
    if (op) {
      out += `${op} bool`;
      i += op.length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

/** Metric selectors (name plus label matchers) in an expression. */
export function selectors(expr: string): string[] {
  const found = expr.matchAll(/\b(berth_[a-z_]+|up|process_[a-z_]+|nodejs_[a-z0-9_]+)(\{[^}]*\})?/g);
  return [...new Set([...found].map((m) => `${m[1]}${m[2] ?? ''}`))];
}
