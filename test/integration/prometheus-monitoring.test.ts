/**
 * monitoring/ against a real Prometheus: promtool accepts the config and rules; a Prometheus
 * (own temp dir and port) scrapes a live worker metrics endpoint with the repository's
 * prometheus.yml, and every PromQL expression of the Grafana dashboard and of the alert rules is
 * evaluated through /api/v1/query and must return data.
 *
 * The endpoint is served by `startObservability` fed with telemetry calls (see `startWorkload`);
 * a real worker can take its place: anything serving the berth_* metrics on a URL will do.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { TelemetryPort } from '../../src/domain/telemetry-port.js';
import { METRIC } from '../../src/observability/metric-names.js';
import { type Observability, startObservability } from '../../src/observability/observability.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PROM_DIR = join(ROOT, 'monitoring', 'prometheus');
const RULES_FILE = join(PROM_DIR, 'rules', 'berth-alerts.yml');
const DASHBOARD_FILE = join(ROOT, 'monitoring', 'grafana', 'dashboards', 'berth.json');

interface PromResponse {
  status: 'success' | 'error';
  error?: string;
  data: { resultType: string; result: unknown[] };
}

let workload: { obs: Observability; stop: () => Promise<void> };
let prom: ChildProcess | null = null;
let promUrl = '';
let tmp = '';

beforeAll(async () => {
  ensurePrometheusInstalled();
  workload = await startWorkload();
  tmp = mkdtempSync(join(tmpdir(), 'berth-prom-'));
  const port = await freePort();
  writeTestConfig(tmp, new URL(workload.obs.url ?? '').host);
  prom = spawn(
    'prometheus',
    [
      `--config.file=${join(tmp, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(tmp, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  prom.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  promUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => (await fetch(`${promUrl}/-/ready`).catch(() => null))?.ok === true,
    30_000,
    () => stderr,
  );
  // Rates need two scrapes (1 s apart); wait until counters have moved between scrapes.
  await waitFor(
    async () => (await query('sum(rate(berth_tasks_total[1m])) > 0')).data.result.length > 0,
    30_000,
  );
}, 90_000);

afterAll(async () => {
  if (prom && prom.exitCode === null) {
    const exited = new Promise((resolve) => prom?.once('exit', resolve));
    prom.kill('SIGTERM');
    await exited;
  }
  await workload?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('promtool', () => {
  it('accepts prometheus.yml (with its rule files) and the alert rules', () => {
    const config = execFileSync('promtool', ['check', 'config', join(PROM_DIR, 'prometheus.yml')], {
      encoding: 'utf8',
    });
    expect(config).toContain('SUCCESS');
    const rules = execFileSync('promtool', ['check', 'rules', RULES_FILE], { encoding: 'utf8' });
    expect(rules).toMatch(/SUCCESS: \d+ rules found/);
  });
});

describe('Prometheus scraping a live worker endpoint', () => {
  it('scrapes the local worker target (file_sd) as up', async () => {
    const res = await query('up{job="berth-worker-local"}');
    expect(res.data.result).toHaveLength(1);
    expect(res.data.result[0]).toMatchObject({ value: [expect.any(Number), '1'] });
  });

  it('evaluates every dashboard expression with data', async () => {
    const exprs = dashboardExprs();
    expect(exprs.length).toBeGreaterThan(20);
    for (const expr of exprs) {
      const promql = grafanaToPromql(expr);
      const res = await queryUntilData(promql);
      expect(res.status, promql).toBe('success');
      expect(res.data.result.length, `no data for dashboard expression: ${promql}`).toBeGreaterThan(0);
    }
  });

  it('resolves every dashboard variable query (label_values) to values', async () => {
    const vars = dashboardVariableQueries();
    expect(vars.length).toBeGreaterThan(0);
    for (const { metric, label } of vars) {
      const res = await queryUntilData(`count by (${label}) (${metric})`);
      expect(res.data.result.length, `${metric} has no ${label} values`).toBeGreaterThan(0);
    }
  });

  // Alert expressions compare against thresholds the workload does not (and should not) cross, so
  // the expression as written may legitimately be empty. For each rule we check three things:
  // (1) the expression as written evaluates without error; (2) the same expression with every
  // comparison turned into a `bool` comparison (which keeps all series, as 0 or 1) returns data,
  // proving that the arithmetic, aggregation and label matching behind the threshold work; and
  // (3) every metric selector in it has samples.
  it('evaluates every alert rule: no error, data behind each threshold, samples for each selector', async () => {
    const rules = alertRules();
    expect(rules.length).toBeGreaterThanOrEqual(8);
    for (const rule of rules) {
      const asWritten = await query(rule.expr);
      expect(asWritten.status, rule.alert).toBe('success');
      const boolForm = comparisonsToBool(rule.expr);
      expect(boolForm, rule.alert).toContain(' bool ');
      const res = await queryUntilData(boolForm);
      expect(res.data.result.length, `${rule.alert}: no data for ${boolForm}`).toBeGreaterThan(0);
      for (const selector of selectors(rule.expr)) {
        const s = await queryUntilData(selector);
        expect(s.data.result.length, `${rule.alert}: no samples for ${selector}`).toBeGreaterThan(0);
      }
    }
  });

  it('loads every rule and evaluates it without error', async () => {
    await waitFor(
      async () => ruleStates().then((r) => r.length > 0 && r.every((x) => x.lastEvaluation > 0)),
      20_000,
    );
    const states = await ruleStates();
    expect(states.length).toBe(alertRules().length);
    for (const s of states) expect(s, s.name).toMatchObject({ health: 'ok' });
  });
});

describe('metric name coverage', () => {
  it('uses only exported metric names, and the dashboard shows every exported metric', () => {
    const known = new Set<string>(Object.values(METRIC));
    const dashboard = dashboardExprs().join('\n');
    const referenced = new Set(
      [
        ...`${dashboard}\n${alertRules()
          .map((r) => r.expr)
          .join('\n')}`.matchAll(/\bberth_[a-z_]+/g),
      ].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
    );
    for (const name of referenced) expect(known, `unknown metric ${name}`).toContain(name);
    for (const name of known) expect(dashboard, `dashboard does not show ${name}`).toContain(name);
  });
});

/** Serves metrics from startObservability and keeps feeding it a varied workload. */
async function startWorkload(): Promise<{ obs: Observability; stop: () => Promise<void> }> {
  const obs = await startObservability({
    workerId: 'w-prom-test',
    serviceName: 'berth-worker',
    metricsHost: '127.0.0.1',
    metricsPort: 0,
    readiness: async () => ({ kafka: true, docker: true }),
  });
  let tick = 0;
  feed(obs.telemetry, tick);
  const timer = setInterval(() => {
    tick += 1;
    feed(obs.telemetry, tick);
  }, 200);
  return {
    obs,
    stop: async () => {
      clearInterval(timer);
      await obs.close();
    },
  };
}

function feed(t: TelemetryPort, tick: number): void {
  t.taskFinished('python', 'SUCCEEDED', {
    queueWait: 0.05 * (tick % 7),
    startLatency: 0.02,
    run: 0.3 + (tick % 5),
  });
  t.taskFinished('node', tick % 3 === 0 ? 'FAILED' : 'SUCCEEDED', {
    queueWait: 1,
    startLatency: 0.4,
    run: 12,
  });
  t.taskFinished('node', tick % 4 === 0 ? 'TIMED_OUT' : 'KILLED', {
    queueWait: 2,
    startLatency: 0.03,
    run: 30,
  });
  t.taskRetried(tick % 2 === 0 ? 'python' : 'node');
  t.deadLettered(tick % 2 === 0 ? 'cannot decode Avro body' : 'max attempts exhausted');
  t.containersReaped(tick % 10 === 0 ? 1 : 0);
  t.infraError(tick % 2 === 0 ? 'kafka' : 'docker');
  t.sample({
    slotsTotal: 4,
    slotsBusy: tick % 5,
    memoryBudgetBytes: 2 ** 31,
    memoryUsedBytes: (tick % 5) * 2 ** 28,
    bufferedTasks: tick % 6,
    warmContainers: { python: 2, node: tick % 3 },
    partitions: [
      { topic: 'berth.tasks', partition: 0, paused: tick % 2 === 0, lag: tick * 3 },
      { topic: 'berth.tasks', partition: 1, paused: false, lag: tick },
    ],
  });
}

/** The repository's Prometheus config with 1 s intervals and the local target set to `host`. */
function writeTestConfig(dir: string, host: string): void {
  cpSync(PROM_DIR, dir, { recursive: true });
  const file = join(dir, 'prometheus.yml');
  const original = readFileSync(file, 'utf8');
  const fast = original
    .replace(/(scrape_interval|evaluation_interval): 15s/g, '$1: 1s')
    .replace(/scrape_timeout: 10s/, 'scrape_timeout: 1s');
  expect(fast.match(/: 1s/g)?.length).toBe(3);
  writeFileSync(file, fast.replace('refresh_interval: 30s', 'refresh_interval: 1s'));
  writeFileSync(
    join(dir, 'targets', 'local.json'),
    JSON.stringify([{ targets: [host], labels: { deployment: 'test' } }]),
  );
}

async function query(promql: string): Promise<PromResponse> {
  const res = await fetch(`${promUrl}/api/v1/query`, {
    method: 'POST',
    body: new URLSearchParams({ query: promql }),
  });
  const body = (await res.json()) as PromResponse;
  if (body.status !== 'success') throw new Error(`query failed: ${promql}: ${body.error}`);
  return body;
}

/** Queries until the result is non-empty (series appear within a few scrapes) or 15 s pass. */
async function queryUntilData(promql: string): Promise<PromResponse> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await query(promql);
    if (res.data.result.length > 0 || Date.now() > deadline) return res;
    await sleep(500);
  }
}

async function ruleStates(): Promise<{ name: string; health: string; lastEvaluation: number }[]> {
  const res = await fetch(`${promUrl}/api/v1/rules?type=alert`);
  const body = (await res.json()) as {
    data: { groups: { rules: { name: string; health: string; lastEvaluation: string }[] }[] };
  };
  return body.data.groups.flatMap((g) =>
    g.rules.map((r) => ({
      name: r.name,
      health: r.health,
      lastEvaluation: Date.parse(r.lastEvaluation) || 0,
    })),
  );
}

interface Panel {
  targets?: { expr?: string }[];
  panels?: Panel[];
}

function dashboard(): { panels: Panel[]; templating: { list: { type: string; query?: unknown }[] } } {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
}

function dashboardExprs(): string[] {
  const walk = (panels: Panel[]): string[] =>
    panels.flatMap((p) => [
      ...(p.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : [])),
      ...walk(p.panels ?? []),
    ]);
  return walk(dashboard().panels);
}

function dashboardVariableQueries(): { metric: string; label: string }[] {
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
function grafanaToPromql(expr: string): string {
  const out = expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$instance', '.+')
    .replaceAll('$stack', '.+');
  expect(out, `unhandled variable in ${expr}`).not.toContain('$');
  return out;
}

function alertRules(): { alert: string; expr: string }[] {
  const doc = parse(readFileSync(RULES_FILE, 'utf8')) as {
    groups: { rules: { alert?: string; expr: string }[] }[];
  };
  return doc.groups.flatMap((g) =>
    g.rules.flatMap((r) => (r.alert ? [{ alert: r.alert, expr: r.expr }] : [])),
  );
}

/** Inserts `bool` after each comparison operator outside label matchers and strings. */
function comparisonsToBool(expr: string): string {
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
function selectors(expr: string): string[] {
  const found = expr.matchAll(/\b(berth_[a-z_]+|up|process_[a-z_]+|nodejs_[a-z0-9_]+)(\{[^}]*\})?/g);
  return [...new Set([...found].map((m) => `${m[1]}${m[2] ?? ''}`))];
}

function ensurePrometheusInstalled(): void {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
  } catch {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], { stdio: 'ignore' });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  detail?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms${detail ? `: ${detail()}` : ''}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
