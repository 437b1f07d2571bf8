import { taskResultCodec } from '../codecs/task-result-codec.js';
import type { WorkerConfig } from '../config/worker-config.js';
import { noOpTelemetry } from '../domain/no-op-telemetry.js';
import type { TaskResult } from '../domain/task-result.js';
import type { createKafka } from '../kafka/kafka-connection.js';
import type { RecordProducer } from '../kafka/record-producer.js';
import { TailConsumer } from '../kafka/tail-consumer.js';
import { composeWorker } from '../worker/compose-worker.js';

/**
 * Tasks per second through a real worker (fresh isolation, warm pool) for `count` trivial
 * events produced at once, from the first produce to the last result; plus the results.
 */
export async function workerTasksPerSecond(opts: {
  kafka: ReturnType<typeof createKafka>;
  config: WorkerConfig;
  resultsTopic: string;
  produce: () => Promise<void>;
  count: number;
  producer: RecordProducer;
}): Promise<{ rate: number; results: TaskResult[] }> {
  const results: TaskResult[] = [];
  const follower = new TailConsumer({
    kafka: opts.kafka,
    topic: opts.resultsTopic,
    groupId: `${opts.config.topicPrefix}-bench-results`,
    onRecord: (r) => {
      if (r.value) results.push(taskResultCodec.decode(r.value));
    },
  });
  await follower.start();
  const worker = composeWorker(opts.config, { telemetry: noOpTelemetry, log: () => {} });
  await worker.start();
  await new Promise((r) => setTimeout(r, 5000)); // let the warm pools fill and the group settle
  const t0 = Date.now();
  await opts.produce();
  const deadline = Date.now() + 600_000;
  while (results.length < opts.count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const rate = results.length / ((Date.now() - t0) / 1000);
  await worker.close();
  await follower.stop();
  return { rate, results };
}
