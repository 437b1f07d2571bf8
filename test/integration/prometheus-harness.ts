/**
 * A real Prometheus for tests (own temp dir and port) running the repository's
 * monitoring/prometheus config with 1 s intervals, its local file_sd target pointed at a live
 * metrics endpoint; plus the checks that every dashboard and alert expression returns data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ensureAptPackages } from '../../src/infra/apt-package.js';
import {
  alertRules,
  comparisonsToBool,
  dashboardExprs,
  dashboardVariableQueries,
  grafanaToPromql,
  PROM_DIR,
  selectors,
} from './prometheus-expressions.js';

export interface PromResponse {
  status: 'success' | 'error';
  error?: string;
  data: { resultType: string; result: unknown[] };
}

export class PrometheusUnderTest {
  private constructor(
    readonly url: string,
    private readonly proc: ChildProcess,
    private readonly dir: string,
  ) {}

  /** Starts Prometheus scraping `targetHost` (host:port) as job berth-worker-local; waits until ready. */
  static async start(targetHost: string): Promise<PrometheusUnderTest> {
    await ensureAptPackages('promtool', ['prometheus'], () => undefined);
    const dir = mkdtempSync(join(tmpdir(), 'berth-prom-'));
    const port = await freePort();
    writeTestConfig(dir, targetHost);
    const proc = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const prom = new PrometheusUnderTest(`http://127.0.0.1:${port}`, proc, dir);
    await waitFor(
      async () => (await fetch(`${prom.url}/-/ready`).catch(() => null))?.ok === true,
      30_000,
      () => stderr,
    );
    return prom;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null) {
      const exited = new Promise((resolve) => this.proc.once('exit', resolve));
      this.proc.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  async query(promql: string): Promise<PromResponse> {
    const res = await fetch(`${this.url}/api/v1/query`, {
      method: 'POST',
      body: new URLSearchParams({ query: promql }),
    });
    const body = (await res.json()) as PromResponse;
    if (body.status !== 'success') throw new Error(`query failed: ${promql}: ${body.error}`);
    return body;
  }

  /** Queries until the result is non-empty (series appear within a few scrapes) or `timeoutMs` pass. */
  async queryUntilData(promql: string, timeoutMs = 15_000): Promise<PromResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.query(promql);
      if (res.data.result.length > 0 || Date.now() > deadline) return res;
      await sleep(500);
    }
  }

  async ruleStates(): Promise<{ name: string; health: string; lastEvaluation: number }[]> {
    const res = await fetch(`${this.url}/api/v1/rules?type=alert`);
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
}

/**
 * Registers the checks that every dashboard expression, dashboard variable and alert rule
 * evaluates with data on `prom()` (which must already scrape a live endpoint).
 */
export function itEvaluatesAllMonitoringQueries(prom: () => PrometheusUnderTest): void {
  it('scrapes the local worker target (file_sd) as up', async () => {
    const res = await prom().queryUntilData('up{job="berth-worker-local"} == 1');
    expect(res.data.result).toHaveLength(1);
  });

  it('evaluates every dashboard expression with data', async () => {
    const exprs = dashboardExprs();
    expect(exprs.length).toBeGreaterThan(20);
    for (const expr of exprs) {
      const promql = grafanaToPromql(expr);
      const res = await prom().queryUntilData(promql);
      expect(res.data.result.length, `no data for dashboard expression: ${promql}`).toBeGreaterThan(0);
    }
  });

  it('resolves every dashboard variable query (label_values) to values', async () => {
    const vars = dashboardVariableQueries();
    expect(vars.length).toBeGreaterThan(0);
    for (const { metric, label } of vars) {
      const res = await prom().queryUntilData(`count by (${label}) (${metric})`);
      expect(res.data.result.length, `${metric} has no ${label} values`).toBeGreaterThan(0);
    }
  });

  itEvaluatesAlertRules(prom);
}

function itEvaluatesAlertRules(prom: () => PrometheusUnderTest): void {
  // Alert expressions compare against thresholds a test workload does not (and should not) cross,
  // so the expression as written may legitimately be empty. For each rule we check three things:
  // (1) the expression as written evaluates without error; (2) the same expression with every
  // comparison turned into a `bool` comparison (which keeps all series, as 0 or 1) returns data,
  // proving that the arithmetic, aggregation and label matching behind the threshold work; and
  // (3) every metric selector in it has samples.
  it('evaluates every alert rule: no error, data behind each threshold, samples for each selector', async () => {
    const rules = alertRules();
    expect(rules.length).toBeGreaterThanOrEqual(8);
    for (const rule of rules) {
      const asWritten = await prom().query(rule.expr);
      expect(asWritten.status, rule.alert).toBe('success');
      const boolForm = comparisonsToBool(rule.expr);
      expect(boolForm, rule.alert).toContain(' bool ');
      const res = await prom().queryUntilData(boolForm);
      expect(res.data.result.length, `${rule.alert}: no data for ${boolForm}`).toBeGreaterThan(0);
      for (const selector of selectors(rule.expr)) {
        const s = await prom().queryUntilData(selector);
        expect(s.data.result.length, `${rule.alert}: no samples for ${selector}`).toBeGreaterThan(0);
      }
    }
  });

  it('loads every rule and evaluates it without error', async () => {
    const evaluated = async () => {
      const r = await prom().ruleStates();
      return r.length > 0 && r.every((x) => x.lastEvaluation > 0);
    };
    await waitFor(evaluated, 20_000);
    const states = await prom().ruleStates();
    expect(states.length).toBe(alertRules().length);
    for (const s of states) expect(s, s.name).toMatchObject({ health: 'ok' });
  });
}

/** The repository's Prometheus config with 1 s intervals and the local target set to `host`. */
function writeTestConfig(dir: string, host: string): void {
  cpSync(PROM_DIR, dir, { recursive: true });
  const file = join(dir, 'prometheus.yml');
  const fast = readFileSync(file, 'utf8')
    .replace(/(scrape_interval|evaluation_interval): 15s/g, '$1: 1s')
    .replace(/scrape_timeout: 10s/, 'scrape_timeout: 1s')
    .replace('refresh_interval: 30s', 'refresh_interval: 1s');
  if (fast.match(/: 1s/g)?.length !== 4)
    throw new Error('prometheus.yml intervals changed; update writeTestConfig');
  writeFileSync(file, fast);
  writeFileSync(
    join(dir, 'targets', 'local.json'),
    JSON.stringify([{ targets: [host], labels: { deployment: 'test' } }]),
  );
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

export async function waitFor(
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
