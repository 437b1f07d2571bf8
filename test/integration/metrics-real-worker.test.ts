/**
 * A real worker (real broker, real engine) reporting to observability: after a known workload,
 * /metrics shows exactly what happened, /readyz is 200 against the real Kafka and Docker, and the
 * worker's task spans are children of the producer's trace context sent in Kafka headers.
 */
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSchemaCatalog } from '../../src/codecs/schema-catalog.js';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';
import { frame } from '../../src/codecs/wire-frame.js';
import { probeEngine } from '../../src/containers/engine-probe.js';
import { probeBroker } from '../../src/kafka/broker-probe.js';
import { type Observability, startObservability } from '../../src/observability/observability.js';
import { ATTR } from '../../src/observability/span-names.js';
import { injectTraceHeaders } from '../../src/observability/trace-context.js';
import { composeWorker } from '../../src/worker/compose-worker.js';
import type { Worker } from '../../src/worker/worker.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

const h = new WorkerHarness();
const stack = availableStacks(['shell', 'python-3.11', 'python-3.13', 'node-20'])[0] ?? 'shell';
const SLOTS = 2;
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let obs: Observability;
let worker: Worker | null = null;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  await h.setUp(2);
  const config = h.config({ slots: String(SLOTS), prewarmStacks: stack });
  obs = await startObservability({
    workerId: config.workerId,
    serviceName: 'berth-worker',
    metricsHost: '127.0.0.1',
    metricsPort: 0,
    consumerGroup: `${h.prefix}-workers`,
    readiness: async () => {
      const [k, d] = await Promise.all([
        probeBroker(config.brokers, { createTopic: false, timeoutMs: 2000 }),
        probeEngine('/var/run/docker.sock', 2000),
      ]);
      return { kafka: k !== null, docker: d !== null };
    },
  });
  worker = composeWorker(config, { telemetry: obs.telemetry, log: () => {} });
  await worker.start();
}, 120_000);

afterAll(async () => {
  await worker?.close().catch(() => undefined);
  await obs?.close();
  await h.tearDown();
  await provider.shutdown();
  trace.disable();
  context.disable();
});

describe('metrics of a real worker', () => {
  it('counts what the worker did: successes, failures, timings, dead letters, gauges', async () => {
    expect((await fetch(`${obs.url}/readyz`)).status).toBe(200);
    const ok = [0, 1, 2, 3].map((i) => inlineEvent(`ok-${i}`, stack, ['sh', '-c', 'echo ok']));
    const bad = [0, 1].map((i) => inlineEvent(`bad-${i}`, stack, ['sh', '-c', 'exit 3']));
    await h.send([...ok, ...bad].map((event) => ({ event })));
    await h.sendRaw(h.topics.tasks, 'garbage', Buffer.from('not an avro event'));
    // A decodable TaskEvent that breaks a rule (written with the schema alone, past the encode check).
    const type = defaultSchemaCatalog().current('io.berth.TaskEvent').type;
    const rulebreaker = { ...inlineEvent('rule-breaker', stack, ['true']), priority: 7 };
    await h.sendRaw(
      h.topics.tasks,
      'rule-breaker',
      frame(taskEventCodec.schemaId, type.toBuffer(rulebreaker)),
    );
    // A stack nobody built: REJECTED, counted under stack="unknown", not as a new label value.
    await h.send([{ event: inlineEvent('cobol-1', 'cobol-85', ['run']) }]);
    await h.until('7 results and 2 dead letters', () => h.results.length >= 7 && h.dlq.length >= 2, 90_000);

    const t = await metricsWhen((text) => value(text, 'berth_slots', { state: 'total' }) === SLOTS);
    expect(value(t, 'berth_tasks_total', { stack, status: 'SUCCEEDED' })).toBe(4);
    expect(value(t, 'berth_tasks_total', { stack, status: 'FAILED' })).toBe(2);
    for (const kind of ['run', 'start_latency', 'queue_wait']) {
      expect(value(t, `berth_task_${kind}_seconds_count`, { stack }), kind).toBe(6);
      expect(value(t, `berth_task_${kind}_seconds_sum`, { stack }), kind).toBeGreaterThan(0);
    }
    expect(value(t, 'berth_dlq_total', { reason: 'undecodable' })).toBe(1);
    expect(value(t, 'berth_dlq_total', { reason: 'invalid' })).toBe(1);
    expect(value(t, 'berth_tasks_total', { stack: 'unknown', status: 'REJECTED' })).toBe(1);
    expect(t).not.toMatch(/cobol/);
    expect(value(t, 'berth_memory_budget_bytes', {})).toBeGreaterThan(0);
    expect(value(t, 'berth_warm_containers', { stack })).toBeGreaterThanOrEqual(0);
    expect(t).toMatch(
      new RegExp(`^berth_consumer_lag\\{topic="${h.topics.tasks}",partition="[01]"\\} \\d+$`, 'm'),
    );
    expect(t).not.toMatch(/ok-\d|bad-\d/); // no task ids in labels
  }, 120_000);

  it('makes the task span a child of the producer trace sent in the Kafka headers', async () => {
    const producerSpan = trace.getTracer('test-producer').startSpan('send', { kind: SpanKind.PRODUCER });
    const headers: Record<string, string> = {};
    context.with(trace.setSpan(context.active(), producerSpan), () => injectTraceHeaders(headers));
    producerSpan.end();
    const event = inlineEvent('traced-1', stack, ['sh', '-c', 'echo traced']);
    const producer = h.kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: h.topics.tasks,
        acks: -1,
        messages: [{ key: event.id, value: taskEventCodec.encode(event), headers }],
      });
    } finally {
      await producer.disconnect();
    }
    const name = `process ${h.topics.tasks}`;
    const isTask = (s: { name: string; attributes: Record<string, unknown> }) =>
      s.name === name && s.attributes[ATTR.taskId] === 'traced-1';
    await h.until('traced span', () => exporter.getFinishedSpans().some(isTask), 60_000);
    const span = exporter.getFinishedSpans().find(isTask);
    expect(span?.spanContext().traceId).toBe(producerSpan.spanContext().traceId);
    expect(span?.parentSpanContext?.spanId).toBe(producerSpan.spanContext().spanId);
    expect(span?.attributes).toMatchObject({
      [ATTR.stack]: stack,
      [ATTR.taskStatus]: 'SUCCEEDED',
      [ATTR.consumerGroup]: `${h.prefix}-workers`,
    });
    const phases = exporter
      .getFinishedSpans()
      .filter((s) => s.parentSpanContext?.spanId === span?.spanContext().spanId)
      .map((s) => s.name);
    // The run phase starts when the executor says the task process started.
    expect(phases).toEqual(['berth.consume', 'berth.wait_slot', 'berth.start', 'berth.run', 'berth.publish']);
    expect(span?.attributes[ATTR.taskAttempt]).toBe(1);
  }, 90_000);
});

/** Scrapes until `ready(text)` holds (gauges are sampled every stats interval) or 15 s pass. */
async function metricsWhen(ready: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = await (await fetch(`${obs.url}/metrics`)).text();
    if (ready(text) || Date.now() > deadline) return text;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Value of the series `name` whose labels include `labels`, or undefined. */
function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}
