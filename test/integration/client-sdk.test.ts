import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Consumer, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/berth-client.js';
import { ResultTimeoutError } from '../../src/client/client-errors.js';
import { controlCodec } from '../../src/codecs/control-codec.js';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';
import { taskResultCodec } from '../../src/codecs/task-result-codec.js';
import type { Control } from '../../src/domain/control.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import { deleteBerthTopics, ensureTopics } from '../../src/kafka/kafka-admin.js';
import { createKafka } from '../../src/kafka/kafka-connection.js';
import { topicNames } from '../../src/kafka/topic-names.js';

/**
 * The SDK against the real broker. A stand-in plays the worker: it consumes the tasks topic and
 * answers every task (except ids starting with `ignore`) with a SUCCEEDED result whose stdout
 * echoes the payload. The end-to-end path through the real worker is covered by cli-worker tests.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
const topics = topicNames(prefix);
const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: `test-${prefix}` });
const seen: { event: TaskEvent; key: string; headers: Record<string, string> }[] = [];
const controls: Control[] = [];
let standIn: Consumer;
let controlReader: Consumer;
let producer: Producer;

function resultFor(e: TaskEvent): TaskResult {
  return {
    id: e.id,
    attempt: e.attempt,
    status: 'SUCCEEDED',
    exitCode: 0,
    reason: null,
    stdout: Buffer.concat([Buffer.from('echo:'), Buffer.from(e.payload)]),
    stdoutTruncated: false,
    stderr: Buffer.alloc(0),
    stderrTruncated: false,
    outputs: [],
    outputsTruncated: false,
    stack: 'python-3.11',
    stackImage: null,
    codeName: e.code?.name ?? null,
    codeRevision: e.code?.revision ?? null,
    codeDigest: null,
    workerId: 'stand-in',
    sourceTopic: topics.tasks,
    sourcePartition: 0,
    sourceOffset: '0',
    queueWaitMs: 0,
    startLatencyMs: 0,
    runMs: 1,
    finishedAtMs: Date.now(),
    labels: e.labels,
  };
}

beforeAll(async () => {
  if (!existsSync(join(repo, 'dist', 'index.js')))
    throw new Error('dist/index.js missing: run npm run build first');
  await ensureTopics(kafka, prefix, 3);
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  standIn = kafka.consumer({ groupId: `${prefix}-stand-in`, maxWaitTimeInMs: 100 });
  await standIn.connect();
  await standIn.subscribe({ topic: topics.tasks, fromBeginning: true });
  await standIn.run({
    eachMessage: async ({ message }) => {
      const event = taskEventCodec.decode(message.value as Buffer);
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      seen.push({ event, key: String(message.key), headers });
      if (event.id.startsWith('ignore')) return;
      await producer.send({
        topic: topics.results,
        acks: -1,
        messages: [{ key: event.id, value: taskResultCodec.encode(resultFor(event)) }],
      });
    },
  });
  controlReader = kafka.consumer({ groupId: `${prefix}-control`, maxWaitTimeInMs: 100 });
  await controlReader.connect();
  await controlReader.subscribe({ topic: topics.control, fromBeginning: true });
  await controlReader.run({
    eachMessage: async ({ message }) => void controls.push(controlCodec.decode(message.value as Buffer)),
  });
});

afterAll(async () => {
  await standIn?.disconnect();
  await controlReader?.disconnect();
  await producer?.disconnect();
  await deleteBerthTopics(kafka, prefix);
});

const script = `
import { BerthClient, ResultTimeoutError } from ${JSON.stringify(join(repo, 'dist', 'index.js'))};
const client = new BerthClient({ brokers: ['127.0.0.1:9092'], topicPrefix: process.argv[1] });
const out = {};
try {
  const started = Date.now();
  const r = await client.submitAndWait({ code: 'demo@2', payload: { n: 21 }, key: 'order-7', labels: { from: 'script' } }, { timeoutMs: 20000 });
  out.waitMs = Date.now() - started;
  out.result = { id: r.id, status: r.status, stdout: Buffer.from(r.stdout).toString(), codeRevision: r.codeRevision, labels: r.labels };
  out.many = await client.submitMany([{ id: 'many-1', code: 'demo', payload: 'a' }, { id: 'many-2', inline: { stack: 'shell', command: ['true'] } }]);
  try {
    await client.submitAndWait({ id: 'ignore-1', code: 'demo' }, { timeoutMs: 1500 });
  } catch (err) {
    out.timeout = err instanceof ResultTimeoutError ? err.message : String(err);
  }
  try {
    await client.submit({ code: 'demo', priority: 5 });
  } catch (err) {
    out.invalid = err instanceof TypeError ? err.message : String(err);
  }
  await client.cancel('ignore-1', 'no longer needed');
} finally {
  await client.close();
}
console.log(JSON.stringify(out));
`;

function runScript(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, prefix], { cwd: repo });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('BerthClient from a separate Node process (importing dist/)', () => {
  it('submits, waits for the result, batches, times out, validates and cancels', async () => {
    const run = await runScript();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.result).toMatchObject({
      status: 'SUCCEEDED',
      stdout: 'echo:{"n":21}',
      codeRevision: 2,
      labels: { from: 'script' },
    });
    expect(out.many).toEqual(['many-1', 'many-2']);
    expect(out.timeout).toMatch(/no result for task ignore-1 within 1500 ms/);
    expect(out.invalid).toMatch(/priority 5 is not 0, 1 or 2/);
    console.log(`submitAndWait round trip through the broker and the stand-in: ${out.waitMs} ms`);

    const first = seen.find((s) => s.event.id === out.result.id);
    expect(first?.key).toBe('order-7');
    expect(first?.event).toMatchObject({ code: { name: 'demo', revision: 2 }, attempt: 1, priority: 1 });
    expect(seen.find((s) => s.event.id === 'many-1')?.key).toBe('many-1');
    expect(seen.find((s) => s.event.id === 'many-2')?.event.inline).toEqual({
      stack: 'shell',
      command: ['true'],
      env: {},
    });
    const deadline = Date.now() + 10_000;
    while (controls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(controls).toEqual([
      expect.objectContaining({ taskId: 'ignore-1', action: 'CANCEL', reason: 'no longer needed' }),
    ]);
  });

  it('works on a caller-owned KafkaJS instance; results() streams only the requested ids; traceparent travels', async () => {
    const client = new BerthClient({ kafka, topicPrefix: prefix });
    try {
      const stream = client.results({ ids: ['stream-2'] });
      await stream.ready;
      await client.submitMany([
        { id: 'stream-1', code: 'demo' },
        { id: 'stream-2', code: 'demo', payload: 'two' },
      ]);
      const { value } = await stream.next();
      expect(value).toMatchObject({ id: 'stream-2', stdout: Buffer.from('echo:two') });
      await stream.return?.();
      await expect(
        client.submitAndWait({ id: 'ignore-2', code: 'x' }, { timeoutMs: 500 }),
      ).rejects.toBeInstanceOf(ResultTimeoutError);
      // The active trace context travels as a W3C traceparent header.
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const parent = trace.setSpanContext(ROOT_CONTEXT, {
        traceId,
        spanId: 'b7ad6b7169203331',
        traceFlags: 1,
      });
      await context.with(parent, () => client.submit({ id: 'traced-1', code: 'demo' }));
      const deadline = Date.now() + 10_000;
      while (!seen.some((s) => s.event.id === 'traced-1') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(seen.find((s) => s.event.id === 'traced-1')?.headers.traceparent).toBe(
        `00-${traceId}-b7ad6b7169203331-01`,
      );
      expect(seen.find((s) => s.event.id === 'stream-1')?.headers.traceparent).toBeUndefined();
    } finally {
      await client.close();
    }
  });
});
