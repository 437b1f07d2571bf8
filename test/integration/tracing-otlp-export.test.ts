/**
 * Tracing end to end through the real OpenTelemetry Node SDK: with the standard OTEL_* variables
 * pointing at an OTLP/HTTP receiver, startObservability starts the SDK, a task span becomes a child
 * of the producer's traceparent, and close() flushes it to the receiver.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startObservability } from '../../src/observability/observability.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}
interface OtlpRequest {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

const received: OtlpRequest[] = [];
let server: Server;
let endpoint = '';
const saved = { ...process.env };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  process.env = saved;
  await new Promise((resolve) => server.close(resolve));
});

describe('OTLP trace export', () => {
  it('exports the task span as a child of the producer trace, with phases, on close', async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
    process.env.OTEL_SERVICE_NAME = 'berth-worker-test';
    delete process.env.OTEL_SDK_DISABLED;
    delete process.env.OTEL_TRACES_EXPORTER;
    const obs = await startObservability({
      workerId: 'w-otlp',
      serviceName: 'berth-worker',
      metricsHost: '127.0.0.1',
      metricsPort: -1,
      readiness: async () => ({ kafka: true, docker: true }),
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const producerSpanId = '00f067aa0ba902b7';
    const span = obs.telemetry.startTask(
      { traceparent: `00-${traceId}-${producerSpanId}-01` },
      { taskId: 'otlp-task', topic: 'berth.tasks', partition: 1, offset: '99' },
    );
    for (const phase of ['wait_slot', 'start', 'run', 'publish'] as const) span.phase(phase);
    span.setAttributes({ 'berth.stack': 'python-3.13' });
    span.end('FAILED', 'exit code 3');
    await obs.close();

    const spans = received.flatMap((r) =>
      r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)),
    );
    const task = spans.find((s) => s.name === 'process berth.tasks');
    expect(task, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
    expect(task?.traceId).toBe(traceId);
    expect(task?.parentSpanId).toBe(producerSpanId);
    expect(task?.kind).toBe(5); // SPAN_KIND_CONSUMER in OTLP
    const attrs = Object.fromEntries((task?.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
    expect(attrs).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'berth.task.id': 'otlp-task',
      'berth.stack': 'python-3.13',
      'berth.task.status': 'FAILED',
    });
    const children = spans.filter((s) => s.parentSpanId === task?.spanId).map((s) => s.name);
    expect(children).toEqual([
      'berth.consume',
      'berth.wait_slot',
      'berth.start',
      'berth.run',
      'berth.publish',
    ]);
    const service = received[0]?.resourceSpans[0]?.resource.attributes.find((a) => a.key === 'service.name');
    expect(service?.value.stringValue).toBe('berth-worker-test');
  });
});
