import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';
import { taskResultCodec } from '../../src/codecs/task-result-codec.js';
import { InfraError } from '../../src/domain/infra-error.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import { topicNames } from '../../src/kafka/topic-names.js';
import { OutcomePublisher } from '../../src/publishing/outcome-publisher.js';
import {
  type OutgoingRecord,
  type RecordProducerPort,
  RecordTooLargeError,
} from '../../src/publishing/record-producer-port.js';

const topics = topicNames('u');
const result: TaskResult = {
  id: 'r1',
  attempt: 1,
  status: 'SUCCEEDED',
  exitCode: 0,
  reason: null,
  stdout: Buffer.alloc(900 * 1024, 1),
  stdoutTruncated: false,
  stderr: Buffer.alloc(10, 2),
  stderrTruncated: false,
  outputs: [{ name: 'big.bin', data: Buffer.alloc(500 * 1024) }],
  outputsTruncated: false,
  stack: 'shell',
  stackImage: 'sha256:x',
  codeName: null,
  codeRevision: null,
  codeDigest: null,
  workerId: 'w',
  sourceTopic: topics.tasks,
  sourcePartition: 0,
  sourceOffset: '9',
  queueWaitMs: 1,
  startLatencyMs: 2,
  runMs: 3,
  finishedAtMs: 4,
  labels: {},
};

class SizeLimitedProducer implements RecordProducerPort {
  readonly sent: OutgoingRecord[] = [];
  transient = 0;
  constructor(private readonly maxBytes: number) {}
  async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (this.transient-- > 0) throw new InfraError('leader moved', { retriable: true, component: 'kafka' });
    for (const r of records) if (r.value.byteLength > this.maxBytes) throw new RecordTooLargeError(topic);
    this.sent.push(...records);
  }
}

function publisher(producer: RecordProducerPort, signal = new AbortController().signal) {
  return new OutcomePublisher({
    producer,
    topics,
    resultCodec: taskResultCodec,
    eventCodec: taskEventCodec,
    workerId: 'w',
    signal,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 2,
  });
}

describe('OutcomePublisher', () => {
  it('sends a retry to the retry topic of its lane (it keeps its priority)', async () => {
    const sentTo: string[] = [];
    const producer: RecordProducerPort = {
      async send(topic) {
        sentTo.push(topic);
      },
    };
    const p = publisher(producer);
    const event = {
      id: 'e1',
      code: null,
      inline: { stack: 'shell', command: ['true'], env: {} },
      payload: new Uint8Array(0),
      timeoutMs: null,
      maxAttempts: 3,
      attempt: 2,
      memoryBytes: null,
      network: null,
      labels: {},
      createdAtMs: 1,
    };
    for (const priority of [2, 1, 0]) await p.publishRetry(null, { ...event, priority }, 5);
    expect(sentTo).toEqual([topics.retryHigh, topics.retry, topics.retryLow]);
  });

  it('publishes a slimmed result when the broker refuses the size', async () => {
    const producer = new SizeLimitedProducer(1024 * 1024);
    await publisher(producer).publishResult(result);
    expect(producer.sent).toHaveLength(1);
    const sent = taskResultCodec.decode(producer.sent[0]?.value as Uint8Array);
    expect(sent.stdout.byteLength).toBe(64 * 1024);
    // Attempt and source travel as headers too (the idempotency memory reads them undecoded).
    expect(producer.sent[0]?.headers).toMatchObject({
      'berth-attempt': String(result.attempt),
      'berth-source': `${result.sourceTopic}/${result.sourcePartition}@${result.sourceOffset}`,
    });
    expect(sent).toMatchObject({
      stdoutTruncated: true,
      outputs: [],
      outputsTruncated: true,
      status: 'SUCCEEDED',
    });
    expect(sent.reason).toMatch(/size limit/);
  });

  it('publishes a result that fits unchanged, after transient failures', async () => {
    const producer = new SizeLimitedProducer(8 * 1024 * 1024);
    producer.transient = 3;
    await publisher(producer).publishResult(result);
    const sent = taskResultCodec.decode(producer.sent[0]?.value as Uint8Array);
    expect(sent.stdout.byteLength).toBe(900 * 1024);
    expect(sent.outputs).toHaveLength(1);
  });

  it('gives up only when the signal aborts (shutdown), rejecting so nothing is committed', async () => {
    const producer = new SizeLimitedProducer(8 * 1024 * 1024);
    producer.transient = Number.POSITIVE_INFINITY;
    const ac = new AbortController();
    const p = publisher(producer, ac.signal).publishResult(result);
    setTimeout(() => ac.abort(), 30);
    await expect(p).rejects.toBeInstanceOf(InfraError);
    expect(producer.sent).toHaveLength(0);
  });

  it('falls back to a result without any output when even the slim one is too large', async () => {
    const producer = new SizeLimitedProducer(40 * 1024);
    await publisher(producer).publishResult({ ...result, reason: 'x'.repeat(5000) });
    const sent = taskResultCodec.decode(producer.sent[0]?.value as Uint8Array);
    expect(sent.stdout.byteLength).toBe(0);
    expect(sent.stderr.byteLength).toBe(0);
    expect(sent).toMatchObject({ stdoutTruncated: true, stderrTruncated: true, status: 'SUCCEEDED' });
    expect(sent.reason?.length).toBeLessThanOrEqual(1024);
    expect(sent.reason).toMatch(/all output dropped/);
  });

  it('dead-letters a record of any size: cut to fit, described by size and sha256 headers', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 7);
    const producer = new SizeLimitedProducer(1024 * 1024);
    const source = { topic: topics.tasks, partition: 3, offset: '42' };
    await publisher(producer).publishDeadLetter(Buffer.from('k'), big, 'too_large: 10 MiB', source);
    const [rec] = producer.sent;
    expect(rec?.value.byteLength).toBe(256 * 1024);
    expect(rec?.headers).toMatchObject({
      'berth-dlq-reason': 'too_large: 10 MiB',
      'berth-dlq-original-bytes': String(big.byteLength),
      'berth-dlq-original-sha256': createHash('sha256').update(big).digest('hex'),
      'berth-dlq-truncated': 'true',
      'berth-dlq-source-partition': '3',
      'berth-dlq-source-offset': '42',
    });
    // A topic that refuses even the cut value gets the headers alone.
    const tiny = new SizeLimitedProducer(1000);
    await publisher(tiny).publishDeadLetter(null, big, 'too_large', source);
    expect(tiny.sent[0]?.value.byteLength).toBe(0);
    expect(tiny.sent[0]?.headers['berth-dlq-original-bytes']).toBe(String(big.byteLength));
    // Small records travel unchanged, without the truncation headers.
    const small = new SizeLimitedProducer(1024 * 1024);
    await publisher(small).publishDeadLetter(null, Buffer.from('abc'), 'undecodable: x', source);
    expect(Buffer.from(small.sent[0]?.value ?? []).toString()).toBe('abc');
    expect(small.sent[0]?.headers['berth-dlq-truncated']).toBeUndefined();
  });
});
