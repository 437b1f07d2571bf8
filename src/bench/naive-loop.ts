import type { Codec } from '../codecs/codec.js';
import type { TaskEvent } from '../domain/task-event.js';
import type { ConsumedRecord, OfferDecision, RecordSink } from '../intake/consumed-record.js';
import type { createKafka } from '../kafka/kafka-connection.js';
import { RecordProducer } from '../kafka/record-producer.js';
import { TaskConsumer } from '../kafka/task-consumer.js';
import { dockerRunToCompletion } from './docker-run-latency.js';

/**
 * The baseline Berth is compared with: consume one event, `docker run --rm` it, produce a
 * result, commit, next. Resolves with tasks per second over `count` events already on `topic`.
 */
export async function naiveLoopTasksPerSecond(opts: {
  kafka: ReturnType<typeof createKafka>;
  topic: string;
  resultsTopic: string;
  groupId: string;
  image: string;
  labels: Readonly<Record<string, string>>;
  eventCodec: Codec<TaskEvent>;
  count: number;
}): Promise<number> {
  const producer = new RecordProducer(opts.kafka);
  await producer.connect();
  let busy = false;
  let done = 0;
  let t0 = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => {
    finish = r;
  });
  const consumer: TaskConsumer = new TaskConsumer({
    kafka: opts.kafka,
    groupId: opts.groupId,
    topic: opts.topic,
    sink: {
      offer(record: ConsumedRecord): OfferDecision {
        if (busy) return { kind: 'full' };
        busy = true;
        if (t0 === 0) t0 = Date.now();
        void handle(record);
        return { kind: 'accepted' };
      },
      assigned() {},
    } satisfies RecordSink,
  });
  async function handle(record: ConsumedRecord): Promise<void> {
    const event = opts.eventCodec.decode(record.value ?? new Uint8Array(0));
    const out = await dockerRunToCompletion(opts.image, opts.labels, 'echo ok');
    await producer.send(opts.resultsTopic, [{ key: event.id, value: Buffer.from(out), headers: {} }]);
    await consumer.commit([{ partition: record.partition, offset: (BigInt(record.offset) + 1n).toString() }]);
    busy = false;
    done++;
    if (done >= opts.count) finish();
    else consumer.pump();
  }
  await consumer.start();
  await finished;
  const rate = opts.count / ((Date.now() - t0) / 1000);
  await consumer.stop();
  await producer.disconnect();
  return rate;
}
