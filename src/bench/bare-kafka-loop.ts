import { taskEventCodec } from '../codecs/task-event-codec.js';
import { type BareLoopResult, bareKafkaLoop } from '../kafka/bare-loop.js';
import type { createKafka } from '../kafka/kafka-connection.js';
import { trivialTaskEvent } from './trivial-task-events.js';

export interface BareKafkaLoopFigures extends BareLoopResult {
  /** Bytes of each record: one encoded TaskEvent of a trivial function task. */
  readonly recordBytes: number;
}

/**
 * The Kafka-only ceiling for the worker: consume → produce one record per input → commit per
 * batch, with records the size of a Berth TaskEvent for a trivial function call, on fresh topics.
 */
export async function bareKafkaLoopFigures(opts: {
  readonly kafka: ReturnType<typeof createKafka>;
  readonly records: number;
  readonly partitions?: number;
  readonly topicPrefix?: string;
}): Promise<BareKafkaLoopFigures> {
  const value = taskEventCodec.encode(trivialTaskEvent('function', crypto.randomUUID()));
  const r = await bareKafkaLoop({
    kafka: opts.kafka,
    records: opts.records,
    value,
    ...(opts.partitions === undefined ? {} : { partitions: opts.partitions }),
    ...(opts.topicPrefix === undefined ? {} : { topicPrefix: opts.topicPrefix }),
  });
  return { ...r, recordBytes: value.byteLength };
}
