import { taskResultCodec } from '../codecs/task-result-codec.js';
import type { WorkerConfig } from '../config/worker-config.js';
import { noOpTelemetry } from '../domain/no-op-telemetry.js';
import type { TaskResult } from '../domain/task-result.js';
import type { createKafka } from '../kafka/kafka-connection.js';
import { TailConsumer } from '../kafka/tail-consumer.js';
import { composeWorker } from '../worker/compose-worker.js';
import type { Worker } from '../worker/worker.js';

/** A real worker (fresh isolation, warm pool) plus a follower of its results topic. */
export class BenchWorker {
  readonly results: TaskResult[] = [];
  private readonly follower: TailConsumer;
  private readonly worker: Worker;

  constructor(kafka: ReturnType<typeof createKafka>, config: WorkerConfig, resultsTopic: string) {
    this.follower = new TailConsumer({
      kafka,
      topic: resultsTopic,
      groupId: `${config.topicPrefix}-bench-results-${config.workerId}`,
      onRecord: (r) => {
        if (r.value) this.results.push(taskResultCodec.decode(r.value));
      },
    });
    this.worker = composeWorker(config, { telemetry: noOpTelemetry, log: () => {} });
  }

  async start(): Promise<void> {
    await this.follower.start();
    await this.worker.start();
    await new Promise((r) => setTimeout(r, 5000)); // let the warm pools fill and the group settle
  }

  async waitFor(count: number, timeoutMs = 600_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.results.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  async stop(): Promise<void> {
    await this.worker.close();
    await this.follower.stop();
  }
}

/**
 * One task at a time through the worker, with the warm pool refilled in between: for each,
 * consumed → process started (slot granted at once, so `startLatencyMs`) and produced → started.
 */
export async function sequentialLatency(
  w: BenchWorker,
  produceOne: (i: number) => Promise<void>,
  count: number,
): Promise<{ consumedToStart: number[]; producedToStart: number[] }> {
  const consumedToStart: number[] = [];
  const producedToStart: number[] = [];
  for (let i = 0; i < count; i++) {
    const before = w.results.length;
    await produceOne(i);
    await w.waitFor(before + 1, 60_000);
    const r = w.results[before];
    if (r && r.status === 'SUCCEEDED') {
      consumedToStart.push(r.startLatencyMs);
      producedToStart.push(r.queueWaitMs + r.startLatencyMs);
    }
    await new Promise((res) => setTimeout(res, 2500)); // warm pool refill
  }
  return { consumedToStart, producedToStart };
}

/** Tasks per second for `count` events produced at once, from the produce to the last result. */
export async function burstTasksPerSecond(
  w: BenchWorker,
  produce: () => Promise<void>,
  count: number,
): Promise<number> {
  const before = w.results.length;
  const t0 = Date.now();
  await produce();
  await w.waitFor(before + count);
  return (w.results.length - before) / ((Date.now() - t0) / 1000);
}
