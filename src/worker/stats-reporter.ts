import { hostname } from 'node:os';
import type { ExecutorPort } from '../domain/executor-port.js';
import type { TelemetryPort } from '../domain/telemetry-port.js';
import type { PartitionStats, WorkerState, WorkerStats } from '../domain/worker-stats.js';
import type { IntakeRoom } from '../intake/intake-room.js';
import type { SlotPool } from '../slots/slot-pool.js';
import type { WorkerCounters } from './worker-counters.js';

export interface StatsSources {
  readonly workerId: string;
  readonly startedAtMs: number;
  readonly slots: SlotPool;
  readonly room: IntakeRoom;
  readonly counters: WorkerCounters;
  readonly executor: ExecutorPort;
  readonly partitions: () => readonly PartitionStats[];
  readonly state: () => WorkerState;
}

/** Builds the WorkerStats snapshot published on berth.metrics and samples the telemetry gauges. */
export function snapshotStats(s: StatsSources, nowMs: number): WorkerStats {
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
    partitions: s.partitions(),
    tasksSucceeded: s.counters.succeeded,
    tasksFailed: s.counters.failed,
    tasksOther: s.counters.other,
    warmContainers: s.executor.warmCounts(),
  };
}

export function sampleTelemetry(telemetry: TelemetryPort, stats: WorkerStats): void {
  telemetry.sample({
    slotsTotal: stats.slotsTotal,
    slotsBusy: stats.slotsBusy,
    memoryBudgetBytes: stats.memoryBudgetBytes,
    memoryUsedBytes: stats.memoryUsedBytes,
    bufferedTasks: stats.bufferedTasks,
    warmContainers: stats.warmContainers,
    partitions: stats.partitions,
  });
}
