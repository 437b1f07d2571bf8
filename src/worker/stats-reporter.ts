import { hostname } from 'node:os';
import type { Codec } from '../codecs/codec.js';
import type { ExecutorPort } from '../domain/executor-port.js';
import type { TelemetryPort } from '../domain/telemetry-port.js';
import type { PartitionStats, WorkerState, WorkerStats } from '../domain/worker-stats.js';
import type { IntakeRoom } from '../intake/intake-room.js';
import type { LagProbe } from '../kafka/lag-probe.js';
import type { InFlightLedger } from '../ledger/in-flight-ledger.js';
import type { RecordProducerPort } from '../publishing/record-producer-port.js';
import type { SlotPool } from '../slots/slot-pool.js';
import type { WorkerCounters } from './worker-counters.js';

export interface StatsSources {
  readonly workerId: string;
  readonly startedAtMs: number;
  readonly slots: SlotPool;
  readonly room: IntakeRoom;
  readonly counters: WorkerCounters;
  readonly executor: ExecutorPort;
  readonly ledger: InFlightLedger;
  /** Source topics whose lag is reported. */
  readonly topics: readonly string[];
  readonly partitions: () => readonly Omit<PartitionStats, 'lag'>[];
  readonly state: () => WorkerState;
}

export interface StatsReporterOptions {
  readonly sources: StatsSources;
  readonly producer: RecordProducerPort;
  readonly codec: Codec<WorkerStats>;
  readonly metricsTopic: string;
  readonly telemetry: TelemetryPort;
  readonly lagProbe: LagProbe;
  readonly log: (line: string) => void;
}

/**
 * Builds WorkerStats snapshots, samples the telemetry gauges and publishes the snapshot on
 * berth.metrics (key: worker id) every interval. Publishing is best effort: a failure is logged
 * and counted, the next interval tries again.
 */
export class StatsReporter {
  private highWatermarks = new Map<string, Map<number, bigint>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: StatsReporterOptions) {}

  snapshot(nowMs = Date.now()): WorkerStats {
    const s = this.o.sources;
    return {
      workerId: s.workerId,
      host: hostname(),
      state: s.state(),
      startedAtMs: s.startedAtMs,
      reportedAtMs: nowMs,
      slotsTotal: s.slots.slots,
      slotsBusy: s.slots.busySlots,
      memoryBudgetBytes: s.slots.memoryBudgetBytes,
      memoryUsedBytes: s.slots.memoryUsedBytes,
      bufferedTasks: s.room.held,
      partitions: s.partitions().map((p) => ({ ...p, lag: this.lag(p.topic, p.partition) })),
      tasksSucceeded: s.counters.succeeded,
      tasksFailed: s.counters.failed,
      tasksOther: s.counters.other,
      warmContainers: s.executor.warmCounts(),
    };
  }

  /** High watermark minus the offset this worker would commit; -1 when either is unknown. */
  private lag(topic: string, partition: number): number {
    const high = this.highWatermarks.get(topic)?.get(partition);
    const committable = this.o.sources.ledger.committableOf(topic, partition);
    if (high === undefined || committable === null) return -1;
    return high > committable ? Number(high - committable) : 0;
  }

  async publish(refreshLag: boolean): Promise<void> {
    if (refreshLag) {
      const topics = this.o.sources.topics;
      const marks = await Promise.all(topics.map((t) => this.o.lagProbe.highWatermarks(t)));
      this.highWatermarks = new Map(topics.map((t, i) => [t, marks[i] as Map<number, bigint>]));
    }
    const stats = this.snapshot();
    this.o.telemetry.sample({
      slotsTotal: stats.slotsTotal,
      slotsBusy: stats.slotsBusy,
      memoryBudgetBytes: stats.memoryBudgetBytes,
      memoryUsedBytes: stats.memoryUsedBytes,
      bufferedTasks: stats.bufferedTasks,
      warmContainers: stats.warmContainers,
      partitions: stats.partitions.map((p) => ({
        ...p,
        oldestUncommittedSeconds: this.o.sources.ledger.oldestUnfinishedAgeMs(p.topic, p.partition) / 1000,
      })),
    });
    try {
      const value = this.o.codec.encode(stats);
      await this.o.producer.send(this.o.metricsTopic, [{ key: stats.workerId, value, headers: {} }]);
    } catch (err) {
      this.o.telemetry.infraError('kafka');
      this.o.log(`stats not published: ${(err as Error).message}`);
    }
  }

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.publish(true), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
