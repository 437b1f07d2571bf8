/**
 * The worker as deployed: the CLI built with tsc (`node dist/cli/main.js worker`, the image's
 * entrypoint) runs as its own process, configured only by BERTH_* and OTEL_* variables as in
 * docker-compose.yml, against the real broker and engine. Its /healthz, /readyz and /metrics
 * answer, a task shows up in the metrics, the task span reaches an OTLP/HTTP receiver as a child
 * of the producer's traceparent, and SIGTERM drains (/readyz 503, berth_worker_up 0 while a task
 * finishes) and exits 0.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

const ROOT = join(import.meta.dirname, '..', '..');
const h = new WorkerHarness();
const stack = availableStacks(['shell', 'python-3.11', 'python-3.13', 'node-20'])[0] ?? 'shell';
const workerId = `w-${h.prefix}-proc`;
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PRODUCER_SPAN_ID = 'b7ad6b7169203331';
const spans: { traceId: string; parentSpanId?: string; name: string }[] = [];
let build = '';
let otlp: Server;
let proc: ChildProcess | null = null;
let metricsUrl = '';
let stderr = '';

beforeAll(async () => {
  build = mkdtempSync(join(tmpdir(), 'berth-build-'));
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(build, 'dist')], { cwd: ROOT });
  copyFileSync(join(ROOT, 'package.json'), join(build, 'package.json'));
  for (const dir of ['node_modules', 'schemas', 'stacks']) symlinkSync(join(ROOT, dir), join(build, dir));
  otlp = await startOtlpReceiver();
  await h.setUp(1);
  const metricsPort = await freePort();
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
  proc = spawn('node', ['dist/cli/main.js', 'worker'], {
    cwd: build,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      BERTH_KAFKA_BROKERS: '127.0.0.1:9092',
      BERTH_TOPIC_PREFIX: h.prefix,
      BERTH_WORKER_ID: workerId,
      BERTH_SLOTS: '2',
      BERTH_MEMORY_BUDGET_BYTES: String(1024 ** 3),
      BERTH_METRICS_HOST: '127.0.0.1',
      BERTH_METRICS_PORT: String(metricsPort),
      BERTH_STATS_INTERVAL_MS: '1000',
      BERTH_PREWARM_STACKS: stack,
      BERTH_CONTAINER_LABELS: Object.entries(h.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      OTEL_SERVICE_NAME: 'berth-worker',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  await waitFor(async () => (await fetch(`${metricsUrl}/readyz`).catch(() => null))?.status === 200, 60_000);
}, 180_000);

afterAll(async () => {
  if (proc && proc.exitCode === null) {
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc?.once('exit', resolve));
  }
  await h.tearDown();
  await new Promise((resolve) => otlp?.close(resolve));
  if (build) rmSync(build, { recursive: true, force: true });
}, 60_000);

describe('berth worker process', () => {
  it('serves health, readiness and metrics with its id and version', async () => {
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${metricsUrl}/readyz`)).json()).toEqual({
      ready: true,
      kafka: true,
      docker: true,
    });
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(text).toMatch(
      new RegExp(`^berth_worker_info\\{worker_id="${workerId}",version="\\d+\\.\\d+\\.\\d+"\\} 1$`, 'm'),
    );
    expect(text).toMatch(/^berth_worker_up 1$/m);
  });

  it('counts a task and exports its span as a child of the producer trace', async () => {
    const event = inlineEvent('proc-1', stack, ['sh', '-c', 'echo hi']);
    const producer = h.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: h.topics.tasks,
      acks: -1,
      messages: [
        {
          key: event.id,
          value: taskEventCodec.encode(event),
          headers: { traceparent: `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-01` },
        },
      ],
    });
    await producer.disconnect();
    await h.until('result of proc-1', () => h.resultsFor('proc-1').length > 0, 60_000);
    expect(h.resultsFor('proc-1')[0]?.status).toBe('SUCCEEDED');
    await waitFor(
      async () => /berth_tasks_total\{[^}]*status="SUCCEEDED"[^}]*\} 1/.test(await metricsText()),
      10_000,
    );
    const text = await metricsText();
    expect(text).toMatch(new RegExp(`^berth_task_run_seconds_count\\{stack="${stack}"\\} 1$`, 'm'));
    await waitFor(async () => spans.some((s) => s.name === `process ${h.topics.tasks}`), 20_000);
    const task = spans.find((s) => s.name === `process ${h.topics.tasks}`);
    expect(task).toMatchObject({ traceId: TRACE_ID, parentSpanId: PRODUCER_SPAN_ID });
  }, 90_000);

  it('drains on SIGTERM: not ready and not up while a task finishes, then exits 0', async () => {
    const event = inlineEvent('proc-slow', stack, ['sh', '-c', 'sleep 4; echo done']);
    await h.send([{ event }]);
    await waitFor(async () => /^berth_slots\{state="busy"\} 1$/m.test(await metricsText()), 30_000);
    const exited = new Promise<number | null>((resolve) => proc?.once('exit', (code) => resolve(code)));
    proc?.kill('SIGTERM');
    await waitFor(async () => (await fetch(`${metricsUrl}/readyz`)).status === 503, 3_000);
    expect(await (await fetch(`${metricsUrl}/readyz`)).json()).toEqual({ ready: false, draining: true });
    expect(await metricsText()).toMatch(/^berth_worker_up 0$/m);
    expect(proc?.exitCode, 'still draining while the task runs').toBeNull();
    expect(await exited, stderr).toBe(0);
    await h.until('result of proc-slow', () => h.resultsFor('proc-slow').length > 0, 10_000);
    expect(h.resultsFor('proc-slow')[0]?.status).toBe('SUCCEEDED');
    await expect(fetch(`${metricsUrl}/healthz`)).rejects.toThrow();
  }, 60_000);
});

async function metricsText(): Promise<string> {
  return (await fetch(`${metricsUrl}/metrics`)).text();
}

/** Collects spans POSTed as OTLP/HTTP JSON to /v1/traces. */
async function startOtlpReceiver(): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: { scopeSpans: { spans: (typeof spans)[number][] }[] }[];
        };
        spans.push(...body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${stderr}`);
}
