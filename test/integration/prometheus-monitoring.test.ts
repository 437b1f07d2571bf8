/**
 * monitoring/ against a real Prometheus: promtool accepts the config and rules; a Prometheus
 * scrapes a live metrics endpoint with the repository's prometheus.yml, and every PromQL
 * expression of the Grafana dashboard and of the alert rules is evaluated through /api/v1/query
 * and must return data.
 *
 * Here the endpoint is `startObservability` fed with a synthetic workload that exercises every
 * label value (all statuses, DLQ reasons, infra components); prometheus-real-worker.test.ts runs
 * the same checks against a real worker.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryPort } from '../../src/domain/telemetry-port.js';
import { METRIC } from '../../src/observability/metric-names.js';
import { type Observability, startObservability } from '../../src/observability/observability.js';
import { alertRules, dashboardExprs, PROM_DIR, RULES_FILE } from './prometheus-expressions.js';
import { itEvaluatesAllMonitoringQueries, PrometheusUnderTest, waitFor } from './prometheus-harness.js';

let workload: { obs: Observability; stop: () => Promise<void> };
let prom: PrometheusUnderTest;

beforeAll(async () => {
  workload = await startWorkload();
  prom = await PrometheusUnderTest.start(new URL(workload.obs.url ?? '').host);
  // Rates need two scrapes (1 s apart); wait until counters have moved between scrapes.
  const moving = async () =>
    (await prom.query('sum(rate(berth_tasks_total[1m])) > 0')).data.result.length > 0;
  await waitFor(moving, 30_000);
}, 90_000);

afterAll(async () => {
  await prom?.stop();
  await workload?.stop();
});

describe('promtool', () => {
  it('accepts the host and compose configs (with their rule files) and the alert rules', () => {
    for (const rel of ['prometheus.yml', 'compose/prometheus.yml', 'compose/prometheus-observability.yml']) {
      const config = execFileSync('promtool', ['check', 'config', join(PROM_DIR, rel)], { encoding: 'utf8' });
      expect(config, rel).toMatch(/SUCCESS: \d+ rules found/);
    }
    const rules = execFileSync('promtool', ['check', 'rules', RULES_FILE], { encoding: 'utf8' });
    expect(rules).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes the alert rule unit tests: each alert fires when it should and only then', () => {
    const tests = join(PROM_DIR, 'tests', 'berth-alerts.test.yml');
    const out = execFileSync('promtool', ['test', 'rules', tests], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
    const tested = new Set([...readFileSync(tests, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    for (const rule of alertRules()) expect(tested, `no unit test for ${rule.alert}`).toContain(rule.alert);
  });
});

describe('Prometheus scraping synthetic telemetry', () => {
  itEvaluatesAllMonitoringQueries(() => prom);
});

describe('metric name coverage', () => {
  it('uses only exported metric names, and the dashboard shows every exported metric', () => {
    const known = new Set<string>(Object.values(METRIC));
    const dashboard = dashboardExprs().join('\n');
    const all = `${dashboard}\n${alertRules()
      .map((r) => r.expr)
      .join('\n')}`;
    const referenced = new Set(
      [...all.matchAll(/\bberth_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
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
    overhead: 0.001,
  });
  t.taskFinished('node', tick % 3 === 0 ? 'FAILED' : 'SUCCEEDED', {
    queueWait: 1,
    startLatency: 0.4,
    run: 12,
    overhead: 0.002,
  });
  t.taskFinished('node', tick % 4 === 0 ? 'TIMED_OUT' : 'KILLED', {
    queueWait: 2,
    startLatency: 0.03,
    run: 30,
    overhead: 0.004,
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
      {
        topic: 'berth.tasks',
        partition: 0,
        paused: tick % 2 === 0,
        lag: tick * 3,
        oldestUncommittedSeconds: tick * 20,
      },
      { topic: 'berth.tasks', partition: 1, paused: false, lag: tick, oldestUncommittedSeconds: 0.5 },
    ],
  });
}
