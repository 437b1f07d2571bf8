/**
 * The dashboard and alert rules against a real worker: a Prometheus (repository config) scrapes a
 * worker running on the real broker and engine while tasks flow — successes, failures, a retry
 * that ends in the DLQ, a timeout, an undecodable record — and every dashboard and alert
 * expression must return data from that worker's metrics alone.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { type Observability, startObservability } from '../../src/observability/observability.js';
import { composeWorker } from '../../src/worker/compose-worker.js';
import type { Worker } from '../../src/worker/worker.js';
import { itEvaluatesAllMonitoringQueries, PrometheusUnderTest, waitFor } from './prometheus-harness.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

const h = new WorkerHarness();
const stack = availableStacks(['shell', 'python-3.11', 'python-3.13', 'node-20'])[0] ?? 'shell';
let obs: Observability;
let worker: Worker | null = null;
let prom: PrometheusUnderTest;
let trickle: NodeJS.Timeout | undefined;

beforeAll(async () => {
  await h.setUp(2);
  const config = h.config({ slots: '2', prewarmStacks: stack });
  obs = await startObservability({
    workerId: config.workerId,
    serviceName: 'berth-worker',
    metricsHost: '127.0.0.1',
    metricsPort: 0,
    consumerGroup: `${h.prefix}-workers`,
    readiness: async () => ({ kafka: true, docker: true }),
  });
  worker = composeWorker(config, { telemetry: obs.telemetry, log: () => {} });
  await worker.start();
  prom = await PrometheusUnderTest.start(new URL(obs.url ?? '').host);
  await h.send([
    { event: inlineEvent('retry-then-dlq', stack, ['sh', '-c', 'exit 3'], { maxAttempts: 2 }) },
    { event: inlineEvent('too-slow', stack, ['sh', '-c', 'sleep 10'], { timeoutMs: 1000 }) },
  ]);
  await h.sendRaw(h.topics.tasks, 'garbage', Buffer.from('not an avro event'));
  let n = 0;
  const sendBatch = () => {
    n += 1;
    const batch = [
      inlineEvent(`ok-a-${n}`, stack, ['sh', '-c', 'echo ok']),
      inlineEvent(`ok-b-${n}`, stack, ['sh', '-c', 'echo ok']),
      inlineEvent(`fail-${n}`, stack, ['sh', '-c', 'exit 1']),
    ];
    h.send(batch.map((event) => ({ event }))).catch(() => undefined);
  };
  sendBatch();
  trickle = setInterval(sendBatch, 1500);
  const retried = async () =>
    (await prom.query('berth_task_retries_total > 0 and on() sum(rate(berth_tasks_total[1m])) > 0')).data
      .result.length > 0;
  await waitFor(retried, 60_000);
}, 180_000);

afterAll(async () => {
  clearInterval(trickle);
  await prom?.stop();
  await worker?.close().catch(() => undefined);
  await obs?.close();
  await h.tearDown();
}, 120_000);

describe('Prometheus scraping a real worker', () => {
  itEvaluatesAllMonitoringQueries(() => prom);
});
