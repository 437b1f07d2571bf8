import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';
import { taskResultCodec } from '../../src/codecs/task-result-codec.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import { deleteBerthTopics, ensureTopics } from '../../src/kafka/kafka-admin.js';
import { createKafka } from '../../src/kafka/kafka-connection.js';
import { topicNames } from '../../src/kafka/topic-names.js';

/**
 * A producer in another language (Python: fastavro + confluent-kafka from PyPI) frames a TaskEvent
 * from docs/wire-format.md alone; Berth's codec decodes it off the real broker. And the other way:
 * Python decodes a TaskResult encoded by Berth.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = join(repo, 'test', 'python', 'produce_task.py');
const prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
const topics = topicNames(prefix);
const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: `test-${prefix}` });
const received: { key: string; event: TaskEvent; raw: Buffer }[] = [];
let python = '';
let consumer: Consumer;

beforeAll(async () => {
  python = execFileSync('sh', [join(repo, 'scripts', 'python-venv.sh')], { encoding: 'utf8' }).trim();
  await ensureTopics(kafka, prefix, 1);
  consumer = kafka.consumer({ groupId: `${prefix}-py`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.tasks, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const raw = message.value as Buffer;
      received.push({ key: String(message.key), event: taskEventCodec.decode(raw), raw });
    },
  });
});

afterAll(async () => {
  await consumer?.disconnect();
  await deleteBerthTopics(kafka, prefix);
});

describe('Python producer', () => {
  it('frames a TaskEvent that the Berth codec decodes', async () => {
    const id = `py-${prefix}`;
    const run = spawnSync(
      python,
      [
        script,
        'produce',
        '--topic',
        topics.tasks,
        '--id',
        id,
        '--code',
        'thumbnailer',
        '--revision',
        '3',
        '--payload',
        '{"width":32}',
      ],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const produced = JSON.parse(run.stdout) as { hex: string };
    const deadline = Date.now() + 15_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const got = received[0];
    expect(got?.key).toBe(id);
    expect(got?.raw.toString('hex')).toBe(produced.hex);
    expect(got?.raw.readUInt32BE(1)).toBe(1001);
    expect(got?.event).toMatchObject({
      id,
      code: { name: 'thumbnailer', revision: 3 },
      inline: null,
      priority: 2,
      timeoutMs: 30_000,
      attempt: 1,
      labels: { producer: 'python' },
    });
    expect(Buffer.from(got?.event.payload ?? []).toString()).toBe('{"width":32}');
    expect(Math.abs((got?.event.createdAtMs ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('decodes a TaskResult that Berth encoded', () => {
    const bytes = taskResultCodec.encode({
      id: 'r-1',
      attempt: 2,
      status: 'TIMED_OUT',
      exitCode: null,
      reason: 'timeout after 1000 ms',
      stdout: Buffer.from('partial'),
      stdoutTruncated: false,
      stderr: Buffer.alloc(0),
      stderrTruncated: false,
      outputs: [{ name: 'a.txt', data: Buffer.from('xyz') }],
      outputsTruncated: false,
      stack: 'python-3.11',
      stackImage: null,
      codeName: 'thumbnailer',
      codeRevision: 3,
      codeDigest: null,
      workerId: 'w',
      sourceTopic: topics.tasks,
      sourcePartition: 0,
      sourceOffset: '12345678901234',
      queueWaitMs: 1,
      startLatencyMs: 2,
      runMs: 1000,
      finishedAtMs: 5,
      labels: { a: 'b' },
      returnValue: { kind: 'JSON', data: Buffer.from('{"ok":true}') },
    });
    const run = spawnSync(python, [script, 'decode-result'], {
      input: bytes.toString('hex'),
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({
      id: 'r-1',
      attempt: 2,
      status: 'TIMED_OUT',
      reason: 'timeout after 1000 ms',
      stdout: 'partial',
      outputs: [{ name: 'a.txt', bytes: 3 }],
      sourceOffset: '12345678901234',
      labels: { a: 'b' },
      returnValue: { kind: 'JSON', data: '{"ok":true}' },
    });
  });
});
