/** Periodic snapshot published on `berth.metrics` (key: worker id). Mirrors `schemas/worker-stats.avsc`. */
export type WorkerState = 'STARTING' | 'RUNNING' | 'DRAINING' | 'STOPPED';

export interface PartitionStats {
  readonly topic: string;
  readonly partition: number;
  readonly paused: boolean;
  /** High watermark minus committed offset; -1 when unknown. */
  readonly lag: number;
}

export interface WorkerStats {
  readonly workerId: string;
  readonly host: string;
  readonly state: WorkerState;
  readonly startedAtMs: number;
  readonly reportedAtMs: number;
  readonly slotsTotal: number;
  readonly slotsBusy: number;
  readonly memoryBudgetBytes: number;
  readonly memoryUsedBytes: number;
  readonly bufferedTasks: number;
  readonly partitions: readonly PartitionStats[];
  readonly tasksSucceeded: number;
  readonly tasksFailed: number;
  readonly tasksOther: number;
  readonly warmContainers: Readonly<Record<string, number>>;
}
