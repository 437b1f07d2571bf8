import type { Codec } from '../codecs/codec.js';
import type { Control } from '../domain/control.js';
import type { WorkerStats } from '../domain/worker-stats.js';
import type { createKafka } from '../kafka/kafka-connection.js';
import { TailConsumer } from '../kafka/tail-consumer.js';
import type { TopicNames } from '../kafka/topic-names.js';
import type { CancelRegistry } from './cancel-registry.js';
import type { WorkerLiveness } from './worker-liveness.js';

export interface PeerFollowersOptions {
  readonly kafka: ReturnType<typeof createKafka>;
  readonly topics: TopicNames;
  readonly topicPrefix: string;
  readonly workerId: string;
  readonly controlCodec: Codec<Control>;
  readonly statsCodec: Codec<WorkerStats>;
  readonly cancels: CancelRegistry;
  readonly liveness: WorkerLiveness;
  readonly log: (line: string) => void;
}

/**
 * What a worker hears from others: cancels on berth.control (into the cancel registry) and
 * heartbeats on berth.metrics (into liveness, which the reaper consults). Each follows its topic
 * with a group of this worker's own, so every worker sees every partition: heartbeats from the
 * end, cancels from the cancel memory window ago (a cancel may precede the worker).
 */
export class PeerFollowers {
  private readonly control: TailConsumer;
  private readonly heartbeats: TailConsumer;

  constructor(private readonly o: PeerFollowersOptions) {
    this.control = new TailConsumer({
      kafka: o.kafka,
      topic: o.topics.control,
      groupId: `${o.topicPrefix}-control-${o.workerId}`,
      // Cancels published shortly before this worker joined still apply to tasks it gets.
      rewindMs: o.cancels.memoryMs,
      onRecord: (r) => void this.onControl(r.value),
    });
    this.heartbeats = new TailConsumer({
      kafka: o.kafka,
      topic: o.topics.metrics,
      groupId: `${o.topicPrefix}-heartbeats-${o.workerId}`,
      onRecord: (r) => void this.onHeartbeat(r.value),
    });
  }

  async start(): Promise<void> {
    await this.heartbeats.start();
    await this.control.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.control.stop(), this.heartbeats.stop()]);
  }

  private async onControl(value: Buffer | null): Promise<void> {
    if (value === null) return;
    try {
      const control = await this.o.controlCodec.decodeAsync(value);
      if (control.action !== 'CANCEL') return;
      const n = this.o.cancels.cancel(control.taskId, control.reason ?? 'cancel requested');
      this.o.log(`cancel ${control.taskId}: ${n} running attempt(s) aborted`);
    } catch (err) {
      this.o.log(`ignoring undecodable control record: ${(err as Error).message}`);
    }
  }

  private async onHeartbeat(value: Buffer | null): Promise<void> {
    if (value === null) return;
    try {
      const stats = await this.o.statsCodec.decodeAsync(value);
      this.o.liveness.seen(stats.workerId, stats.state === 'STOPPED');
    } catch {
      // A record from a newer or foreign writer: not a heartbeat we can use.
    }
  }
}
