import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Observability, startObservability } from '../../src/observability/observability.js';
import { ATTR, PHASE_SPAN } from '../../src/observability/span-names.js';
import { extractTraceContext, injectTraceHeaders } from '../../src/observability/trace-context.js';
import { tracingRequested } from '../../src/observability/tracing-sdk.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
let obs: Observability;

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
  obs = await startObservability({
    workerId: 'w-trace',
    serviceName: 'berth-worker',
    metricsHost: '127.0.0.1',
    metricsPort: -1,
    readiness: async () => ({ kafka: true, docker: true }),
  });
});

afterAll(async () => {
  await obs.close();
  await provider.shutdown();
  trace.disable();
  context.disable();
});

beforeEach(() => exporter.reset());

describe('task spans', () => {
  it('makes the task span a CONSUMER child of the producer span carried in the headers', () => {
    const producer = trace
      .getTracer('test-producer')
      .startSpan('send berth.tasks', { kind: SpanKind.PRODUCER });
    const headers: Record<string, string> = {};
    context.with(trace.setSpan(context.active(), producer), () => injectTraceHeaders(headers));
    producer.end();
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const span = obs.telemetry.startTask(headers, {
      taskId: 'task-1',
      topic: 'berth.tasks',
      partition: 3,
      offset: '42',
    });
    span.phase('wait_slot');
    span.phase('start');
    span.setAttributes({ [ATTR.stack]: 'python' });
    span.phase('run');
    span.phase('publish');
    span.end('SUCCEEDED');

    const spans = exporter.getFinishedSpans();
    const task = spans.find((s) => s.name === 'process berth.tasks');
    expect(task).toBeDefined();
    if (task === undefined) return;
    const producerCtx = producer.spanContext();
    expect(task.kind).toBe(SpanKind.CONSUMER);
    expect(task.spanContext().traceId).toBe(producerCtx.traceId);
    expect(task.parentSpanContext?.spanId).toBe(producerCtx.spanId);
    expect(task.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'berth.tasks',
      'messaging.kafka.destination.partition': 3,
      'messaging.destination.partition.id': '3',
      'messaging.kafka.message.offset': 42,
      'messaging.message.id': 'task-1',
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': 'berth-workers',
      'berth.task.id': 'task-1',
      'berth.stack': 'python',
      'berth.task.status': 'SUCCEEDED',
    });
    expect(task.status.code).toBe(SpanStatusCode.OK);

    const phases = spans.filter((s) => s.parentSpanContext?.spanId === task.spanContext().spanId);
    expect(phases.map((s) => s.name)).toEqual([
      PHASE_SPAN.consume,
      PHASE_SPAN.wait_slot,
      PHASE_SPAN.start,
      PHASE_SPAN.run,
      PHASE_SPAN.publish,
    ]);
    for (const p of phases) expect(p.spanContext().traceId).toBe(producerCtx.traceId);
  });

  it('records a phase after the fact at the given time, as a child of the task span', () => {
    const span = obs.telemetry.startTask(
      {},
      { taskId: 't3', topic: 'berth.tasks', partition: 0, offset: '8' },
    );
    span.phase('start');
    const startedAtMs = Date.now() + 30; // the executor's report of when the process started
    span.phase('run', startedAtMs);
    span.phase('run'); // naming the open phase again opens no second span
    span.phase('publish', startedAtMs - 1_000); // before the open phase began: clamped
    span.end('SUCCEEDED');
    const spans = exporter.getFinishedSpans();
    const task = spans.find((s) => s.name === 'process berth.tasks');
    if (task === undefined) throw new Error('no task span');
    const byName = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found).toHaveLength(1);
      const [one] = found;
      if (one === undefined) throw new Error(`no ${name} span`);
      return one;
    };
    const start = byName(PHASE_SPAN.start);
    const run = byName(PHASE_SPAN.run);
    const publish = byName(PHASE_SPAN.publish);
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    expect(run.parentSpanContext?.spanId).toBe(task.spanContext().spanId);
    expect(run.spanContext().traceId).toBe(task.spanContext().traceId);
    expect(ms(run.startTime)).toBeCloseTo(startedAtMs, 0);
    expect(ms(start.endTime)).toBeCloseTo(startedAtMs, 0);
    expect(ms(run.endTime)).toBeCloseTo(startedAtMs, 0);
    expect(ms(publish.startTime)).toBeCloseTo(startedAtMs, 0);
  });

  it('starts a new trace without headers and marks failures as errors; end is idempotent', () => {
    const span = obs.telemetry.startTask(
      {},
      { taskId: 't2', topic: 'berth.tasks', partition: 0, offset: '7' },
    );
    span.phase('run');
    span.end('TIMED_OUT', 'exceeded 30000 ms');
    span.end('SUCCEEDED');
    span.phase('publish');
    const spans = exporter.getFinishedSpans();
    const task = spans.find((s) => s.name === 'process berth.tasks');
    expect(task?.parentSpanContext).toBeUndefined();
    expect(task?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'exceeded 30000 ms' });
    expect(task?.attributes[ATTR.taskStatus]).toBe('TIMED_OUT');
    expect(spans).toHaveLength(3);
  });
});

describe('trace headers', () => {
  it('injects nothing without an active span and extracts case-insensitively', () => {
    const headers: Record<string, string> = {};
    context.with(ROOT_CONTEXT, () => injectTraceHeaders(headers));
    expect(headers).toEqual({});
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const sc = trace.getSpanContext(extractTraceContext({ TraceParent: tp }));
    expect(sc?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(sc?.isRemote).toBe(true);
    expect(trace.getSpanContext(extractTraceContext({ traceparent: 'garbage' }))).toBeUndefined();
  });
});

describe('tracing switch', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, false],
  ])('%j → %s', (env, expected) => {
    expect(tracingRequested(env)).toBe(expected);
  });
});
