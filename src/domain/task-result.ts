/**
 * What happened to one attempt of one task, published on `berth.results` keyed by task id.
 * Field names mirror `schemas/task-result.avsc`.
 */
export const TASK_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'KILLED', 'CANCELLED', 'REJECTED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface OutputFile {
  /** Path relative to /task/out. */
  readonly name: string;
  readonly data: Uint8Array;
}

/** What a task wrote, each part cut at its cap with a flag saying so. */
export interface TaskOutput {
  readonly stdout: Uint8Array;
  readonly stdoutTruncated: boolean;
  readonly stderr: Uint8Array;
  readonly stderrTruncated: boolean;
  readonly outputs: readonly OutputFile[];
  readonly outputsTruncated: boolean;
}

/** Nothing written: for attempts cut off before the task could write, or never run. */
export const NO_OUTPUT: TaskOutput = Object.freeze({
  stdout: new Uint8Array(0),
  stdoutTruncated: false,
  stderr: new Uint8Array(0),
  stderrTruncated: false,
  outputs: Object.freeze([]),
  outputsTruncated: false,
});

/** How the bytes of a handler's return value are to be read. */
export type ReturnValueKind = 'BYTES' | 'STRING' | 'JSON';

/** What a function-mode handler returned: raw bytes, UTF-8 text, or UTF-8 JSON of any other value. */
export interface ReturnValue {
  readonly kind: ReturnValueKind;
  readonly data: Uint8Array;
}

export interface TaskResult extends TaskOutput {
  readonly id: string;
  readonly attempt: number;
  readonly status: TaskStatus;
  /** Process exit code when the task process exited; null when it never ran or was signalled. */
  readonly exitCode: number | null;
  /** Human-readable cause for anything but SUCCEEDED (and for SUCCEEDED, null). */
  readonly reason: string | null;
  readonly stack: string | null;
  /** Image id (sha256:…) the task ran in: the pinned stack image. */
  readonly stackImage: string | null;
  readonly codeName: string | null;
  readonly codeRevision: number | null;
  readonly codeDigest: string | null;
  readonly workerId: string;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  readonly sourceOffset: string;
  /** createdAt (or consume time if later clock skew) → slot granted. */
  readonly queueWaitMs: number;
  /** Slot granted → task process started inside the container. */
  readonly startLatencyMs: number;
  /** Task process start → exit. */
  readonly runMs: number;
  readonly finishedAtMs: number;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Function mode only: the handler's return value (schema v2). Absent or null for every other
   * task, for a handler that returned nothing, and in results written by older workers.
   */
  readonly returnValue?: ReturnValue | null;
}
