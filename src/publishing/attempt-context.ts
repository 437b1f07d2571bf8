import type { TaskEvent } from '../domain/task-event.js';

/** Where a consumed event came from and who runs it: stamped on every result of the attempt. */
export interface AttemptContext {
  readonly event: TaskEvent;
  readonly workerId: string;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  readonly sourceOffset: string;
  /** Epoch ms when the worker consumed the event. */
  readonly consumedAtMs: number;
  /** `performance.now()` when the worker consumed the event (the overhead metric's start). */
  readonly consumedAtTick: number;
  readonly stack: string | null;
  readonly imageId: string | null;
  readonly codeName: string | null;
  readonly codeRevision: number | null;
  readonly codeDigest: string | null;
}
