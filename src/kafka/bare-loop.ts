import type { Admin, Kafka } from 'kafkajs';

export interface BareLoopOptions {
  readonly kafka: Kafka;
  /** Records pre-produced and then looped through. */
  readonly records: number;
  /** Value of every record (e.g. an encoded TaskEvent, so sizes match Berth's). */
  readonly value: Uint8Array;
  /** Partitions of the input and output topics; default 2. */
  readonly partitions?: number;
  /** Prefix of the two fresh topics (deleted afterwards); default `bare-<random>`. */
  readonly topicPrefix?: string;
  /** Records per send while pre-producing; default 5000. */
  readonly produceChunk?: number;
  /** Give up after this long in the timed loop; default 10 minutes. */
  readonly timeoutMs?: number;
}

export interface BareLoopResult {
  readonly records: number;
  readonly batches: number;
  /** From the first batch handed over to the last commit. */
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** Seconds spent pre-producing the input (not part of the rate). */
  readonly preProduceSeconds: number;
}

async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The floor any Kafka worker pays, with no task work at all: a KafkaJS consumer group reads
 * records already on a topic, and per batch it produces one record per input (idempotent
 * producer, acks=all, one request in flight, one send per batch) and commits the batch's end.
 * Runs on two fresh topics it creates and deletes.
 */
export async function bareKafkaLoop(opts: BareLoopOptions): Promise<BareLoopResult> {
  const prefix =
    opts.topicPrefix ?? `bare-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const input = `${prefix}.in`;
  const output = `${prefix}.out`;
  const partitions = opts.partitions ?? 2;
  const value = Buffer.from(opts.value.buffer, opts.value.byteOffset, opts.value.byteLength);
  await withAdmin(opts.kafka, (admin) =>
    admin.createTopics({
      topics: [input, output].map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      waitForLeaders: true,
    }),
  );
  const producer = opts.kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 5 } });
  const consumer = opts.kafka.consumer({ groupId: `${prefix}-group`, retry: { retries: 5 } });
  try {
    await producer.connect();
    const p0 = performance.now();
    const chunk = opts.produceChunk ?? 5000;
    for (let i = 0; i < opts.records; i += chunk) {
      const n = Math.min(chunk, opts.records - i);
      await producer.send({
        topic: input,
        acks: -1,
        messages: Array.from({ length: n }, (_, j) => ({ key: `task-${i + j}`, value })),
      });
    }
    const preProduceSeconds = (performance.now() - p0) / 1000;

    let consumed = 0;
    let batches = 0;
    let t0 = 0;
    let t1 = 0;
    let finish: () => void = () => {};
    let fail: (err: Error) => void = () => {};
    const finished = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (batch.messages.length === 0) return;
        if (t0 === 0) t0 = performance.now();
        await producer.send({
          topic: output,
          acks: -1,
          messages: batch.messages.map((m) => ({ key: m.key, value: m.value })),
        });
        const last = batch.lastOffset();
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
        ]);
        resolveOffset(last);
        await heartbeat();
        batches++;
        consumed += batch.messages.length;
        if (consumed >= opts.records) {
          t1 = performance.now();
          finish();
        }
      },
    });
    const timeoutMs = opts.timeoutMs ?? 600_000;
    const timer = setTimeout(
      () => fail(new Error(`bare loop: ${consumed}/${opts.records} records after ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await finished;
    } finally {
      clearTimeout(timer);
    }
    const seconds = (t1 - t0) / 1000;
    return { records: consumed, batches, seconds, recordsPerSecond: consumed / seconds, preProduceSeconds };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await withAdmin(opts.kafka, (admin) => admin.deleteTopics({ topics: [input, output] })).catch(
      () => undefined,
    );
    await withAdmin(opts.kafka, (admin) => admin.deleteGroups([`${prefix}-group`])).catch(() => undefined);
  }
}
