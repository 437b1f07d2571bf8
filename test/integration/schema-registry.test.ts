import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import avsc from 'avsc';
import { Kafka, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/berth-client.js';
import { enableSchemaRegistry } from '../../src/codecs/schema-registry.js';
import { schemaRegistrySettingsFromEnv } from '../../src/config/schema-registry-settings.js';
import { HEADERS } from '../../src/kafka/topic-names.js';
import { runBerth } from '../support/berth-cli.js';
import { FakeSchemaRegistry } from '../support/fake-schema-registry.js';
import { availableStacks, WorkerHarness } from './worker-harness.js';

/**
 * Registry mode end to end: a real worker process (dist/cli/main.js worker) on the real broker and
 * engine, a schema registry speaking the Confluent REST API (the in-process fake: no real registry
 * can be run here), producers outside Berth (plain kafkajs + avsc), the CLI and the SDK.
 */
const USER = 'berth';
const PASSWORD = 'reg-s3cret';
const registry = new FakeSchemaRegistry({ credentials: { username: USER, password: PASSWORD } });
const h = new WorkerHarness();
const [stack] = availableStacks(['shell', 'python-3.11', 'node-20']);
const children: ChildProcess[] = [];
let workerLog = '';
let outside: Producer;
const V1_TEXT = readFileSync('schemas/task-event.v1.avsc', 'utf8');

function registryEnv(password = PASSWORD): NodeJS.ProcessEnv {
  return {
    BERTH_SCHEMA_REGISTRY_URL: registry.url,
    BERTH_SCHEMA_REGISTRY_USERNAME: USER,
    BERTH_SCHEMA_REGISTRY_PASSWORD: password,
  };
}

function spawnWorker(env: NodeJS.ProcessEnv, onLog: (s: string) => void): ChildProcess {
  const child = spawn(
    process.execPath,
    h.processWorkerArgv(`w-${h.prefix}-${children.length}`, {
      slots: '2',
      'prewarm-stacks': `${stack}`,
      'warm-pool-size': '1',
    }),
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } },
  );
  child.stderr?.on('data', (d: Buffer) => {
    onLog(d.toString());
    if (process.env.BERTH_TEST_LOG) process.stderr.write(d);
  });
  children.push(child);
  return child;
}

/** Registers a schema as a producer outside Berth does: a plain POST with basic auth. */
async function registerOutside(subject: string, schema: string): Promise<number> {
  const res = await fetch(`${registry.url}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/vnd.schemaregistry.v1+json',
      authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
    },
    body: JSON.stringify({ schema }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: number }).id;
}

/** TaskEvent v1 with appended optional fields: a compatible newer version. */
function newerTaskEvent(extra: string[]): string {
  const v1 = JSON.parse(V1_TEXT) as { fields: object[] };
  const fields = extra.map((name) => ({ name, type: ['null', 'long'], default: null }));
  return JSON.stringify({ ...v1, fields: [...v1.fields, ...fields] });
}

/** Encodes and frames like any Confluent-style producer: 0x00, id, Avro body. */
function framed(id: number, schema: string, value: Record<string, unknown>): Buffer {
  const body = avsc.Type.forSchema(JSON.parse(schema)).toBuffer(value);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id, 1);
  return Buffer.concat([head, body]);
}

function shellTask(id: string, script: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    code: null,
    inline: { stack, command: ['sh', '-c', script], env: {} },
    payload: Buffer.alloc(0),
    priority: 1,
    timeoutMs: 60_000,
    maxAttempts: 1,
    attempt: 1,
    memoryBytes: 64 * 1024 * 1024,
    network: null,
    labels: {},
    createdAtMs: Date.now(),
    ...extra,
  };
}

async function produce(key: string, value: Buffer): Promise<void> {
  await outside.send({ topic: h.topics.tasks, acks: -1, messages: [{ key, value }] });
}

beforeAll(async () => {
  if (!existsSync('dist/cli/main.js')) throw new Error('dist/cli/main.js missing: run npm run build first');
  if (!stack) throw new Error('no shell-capable stack built (run berth stacks build)');
  await registry.start();
  // This test process reads the worker's results with Berth's codecs: registry mode here too.
  const settings = schemaRegistrySettingsFromEnv(registryEnv());
  if (settings === null) throw new Error('registry settings missing');
  await enableSchemaRegistry(settings, { topicPrefix: h.prefix });
  await h.setUp(1);
  outside = new Kafka({
    brokers: ['127.0.0.1:9092'],
    clientId: `outside-${h.prefix}`,
    logLevel: 0,
  }).producer();
  await outside.connect();
  spawnWorker(registryEnv(), (s) => {
    workerLog += s;
  });
  await h.until('the worker registered and started', () => /schema registry mode/.test(workerLog), 60_000);
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
  );
  await outside?.disconnect().catch(() => undefined);
  await h.tearDown();
  await registry.close();
}, 120_000);

describe('schema registry mode with a real worker process', () => {
  it('runs a task framed by a producer outside Berth with the id it registered itself', async () => {
    const id = await registerOutside(`${h.topics.tasks}-value`, V1_TEXT);
    await produce('ext-a', framed(id, V1_TEXT, shellTask('ext-a', 'echo outside')));
    await h.until('result of ext-a', () => h.resultsFor('ext-a').length > 0, 120_000);
    expect(h.resultsFor('ext-a')[0]).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    expect(Buffer.from(h.resultsFor('ext-a')[0]?.stdout ?? []).toString()).toBe('outside\n');
    expect(registry.subjectNames()).toContain(`${h.topics.results}-value`);
  });

  it('finds a newer TaskEvent version registered after the worker started', async () => {
    const v2 = newerTaskEvent(['deadlineMs']);
    const id = await registerOutside(`${h.topics.tasks}-value`, v2);
    expect(registry.requests).not.toContain(`GET /schemas/ids/${id}`);
    await produce('ext-b', framed(id, v2, shellTask('ext-b', 'echo newer', { deadlineMs: 42 })));
    await h.until('result of ext-b', () => h.resultsFor('ext-b').length > 0, 120_000);
    expect(h.resultsFor('ext-b')[0]).toMatchObject({ status: 'SUCCEEDED' });
    expect(registry.requests).toContain(`GET /schemas/ids/${id}`);
  });

  it('dead-letters an id the registry does not have, naming the id', async () => {
    await produce('ext-c', framed(424242, V1_TEXT, shellTask('ext-c', 'echo never')));
    await h.until('dead letter of ext-c', () => h.dlq.some((d) => String(d.key) === 'ext-c'), 120_000);
    const reason = h.dlq.find((d) => String(d.key) === 'ext-c')?.headers[HEADERS.dlqReason] ?? '';
    expect(reason).toMatch(
      /^undecodable: unknown schema id 424242 \(the schema registry at .* has no schema/,
    );
    expect(h.resultsFor('ext-c')).toEqual([]);
  });

  it('waits while the registry is down, loses nothing, and runs the task once it answers', async () => {
    const v3 = newerTaskEvent(['deadlineMs', 'budgetMs']);
    const id = await registerOutside(`${h.topics.tasks}-value`, v3);
    registry.available = false;
    try {
      await produce('ext-d', framed(id, v3, shellTask('ext-d', 'echo after-outage')));
      await h.until(
        'the worker says it waits',
        () => /waits for the schema registry/.test(workerLog),
        60_000,
      );
      await new Promise((r) => setTimeout(r, 2000));
      expect(h.dlq.some((d) => String(d.key) === 'ext-d')).toBe(false);
      expect(h.resultsFor('ext-d')).toEqual([]);
      expect(workerLog).toMatch(/waits for the schema registry .*HTTP 503/);
    } finally {
      registry.available = true;
    }
    await h.until('result of ext-d', () => h.resultsFor('ext-d').length > 0, 120_000);
    expect(h.resultsFor('ext-d')[0]).toMatchObject({ status: 'SUCCEEDED' });
    expect(h.dlq.some((d) => String(d.key) === 'ext-d')).toBe(false);
  });

  it('the CLI (berth run) and the SDK frame with registry ids and get their results', async () => {
    const env = { ...registryEnv(), BERTH_TOPIC_PREFIX: h.prefix, BERTH_KAFKA_BROKERS: '127.0.0.1:9092' };
    const run = await runBerth(['run', stack as string, '--', 'sh', '-c', 'echo via-cli'], env);
    expect(run.stdout).toBe('via-cli\n');
    expect(run.code).toBe(0);
    const client = new BerthClient({
      brokers: ['127.0.0.1:9092'],
      topicPrefix: h.prefix,
      schemaRegistry: { url: registry.url.replace('http://', `http://${USER}:${PASSWORD}@`) },
    });
    try {
      const result = await client.submitAndWait(
        {
          inline: { stack: stack as string, command: ['sh', '-c', 'echo via-sdk'] },
          memoryBytes: 64 * 1024 * 1024,
        },
        { timeoutMs: 120_000 },
      );
      expect(result.status).toBe('SUCCEEDED');
      expect(Buffer.from(result.stdout).toString()).toBe('via-sdk\n');
    } finally {
      await client.close();
    }
    // Every TaskEvent on the topic is framed with a registry id (small), none with fixed id 1001.
    const ids = await schemaIdsOn(h.topics.tasks);
    expect(ids.size).toBeGreaterThan(0);
    expect([...ids].filter((i) => i >= 1000 && i !== 424242)).toEqual([]);
  });

  it('refuses a wrong registry password clearly: CLI exit code and message, worker exits 1', async () => {
    const env = {
      ...registryEnv('wrong'),
      BERTH_TOPIC_PREFIX: h.prefix,
      BERTH_KAFKA_BROKERS: '127.0.0.1:9092',
    };
    const run = await runBerth(['run', stack as string, '--', 'true'], env);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/HTTP 401 \(credentials refused/);
    expect(run.stderr).not.toMatch(/wrong/);
    let log = '';
    const bad = spawnWorker(registryEnv('wrong'), (s) => {
      log += s;
    });
    const code = await new Promise<number | null>((r) => bad.once('exit', r));
    expect(code).toBe(1);
    expect(log).toMatch(/cannot use the schema registry at .*HTTP 401 \(credentials refused/);
  });
});

/** Schema ids of every value on `topic`, read from the start with a throwaway consumer. */
async function schemaIdsOn(topic: string): Promise<Set<number>> {
  const kafka = new Kafka({ brokers: ['127.0.0.1:9092'], clientId: `ids-${h.prefix}`, logLevel: 0 });
  const admin = kafka.admin();
  await admin.connect();
  const end = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `${h.prefix}-ids-${Date.now()}` });
  const ids = new Set<number>();
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen++;
      if (message.value && message.value.length >= 5) ids.add(message.value.readUInt32BE(1));
    },
  });
  await h.until(`reading ${topic}`, () => seen >= end, 60_000);
  await consumer.disconnect();
  return ids;
}
