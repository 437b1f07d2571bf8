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
  it('publishes a slimmed result when the broker refuses the size', async () => {
    const producer = new SizeLimitedProducer(1024 * 1024);
    await publisher(producer).publishResult(result);
    expect(producer.sent).toHaveLength(1);
    const sent = taskResultCodec.decode(producer.sent[0]?.value as Uint8Array);
    expect(sent.stdout.byteLength).toBe(64 * 1024);
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
});
