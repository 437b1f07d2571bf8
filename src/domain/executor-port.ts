import type { LiveFeed } from './live-feed.js';
import type { CancelSignal } from './task-cancel.js';
import type { ReturnValue, TaskOutput } from './task-result.js';

/** Everything the executor needs to run one attempt; already resolved and validated. */
export interface ExecutionRequest {
  readonly taskId: string;
  readonly attempt: number;
  readonly stack: string;
  /** Pinned image id (sha256:…) resolved when the task started. */
  readonly imageId: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly payload: Uint8Array;
  /** Tar of the code package, extracted to /task/code; null for inline tasks. */
  readonly codeTar: Uint8Array | null;
  readonly timeoutMs: number;
  readonly memoryBytes: number;
  /** CPU quota in units of 1e-9 CPUs (Docker NanoCpus). */
  readonly nanoCpus: number;
  readonly pidsLimit: number;
  readonly network: boolean;
  readonly stdoutCapBytes: number;
  readonly stderrCapBytes: number;
  readonly outputCapBytes: number;
  /** Set for tasks of a code package with `"isolation": "HOT"`: run in a long-lived container. */
  readonly hot?: HotIsolation;
  /** The task's labels (function mode hands them to the handler's context). */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Secrets the package declared `"as": "file"`, resolved on this worker: written to
   * `/run/secrets/<name>` (tmpfs, mode 0400, task user) before the task starts. Secrets delivered
   * as environment variables are already in `env`. Never logged, never published.
   */
  readonly secretFiles?: readonly SecretFile[];
  /** Hides the task's secret values in text an executor logs; absent when it has none. */
  readonly redactText?: (text: string) => string;
  /**
   * Where the attempt's output and progress go while it runs (launcher live frames, coalesced
   * per `live.intervalMs`); absent: nothing is streamed. Never delays the outcome.
   */
  readonly live?: LiveFeed;
}

/** One secret value to be written as a file into the task container. */
export interface SecretFile {
  readonly name: string;
  readonly data: Uint8Array;
}

/** Which long-lived containers may serve a HOT task. */
export interface HotIsolation {
  /** One package revision: `name@revision#digest`; containers are never shared across keys. */
  readonly packageKey: string;
  readonly packageName: string;
  /** Containers kept for this key at most (each serves one task at a time). */
  readonly maxContainers: number;
  /**
   * Function mode: `FILE:FUNCTION` the stack's runtime loads once per container and calls per
   * task (calls pipelined per container); absent: the command runs per task (process mode).
   */
  readonly handler?: string;
}

/** Outcome of running one attempt. A task's failure is an outcome, never a thrown error. */
export interface ExecutionOutcome extends TaskOutput {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'KILLED' | 'CANCELLED';
  readonly exitCode: number | null;
  readonly reason: string | null;
  /** Epoch ms when the task process started inside the container (null if it never did). */
  readonly startedAtMs: number | null;
  readonly finishedAtMs: number;
  /** Function mode: what the handler returned (null or absent otherwise). */
  readonly returnValue?: ReturnValue | null;
  /**
   * The run's duration with sub-millisecond resolution, when the isolation mode measures it
   * (function calls: the launcher's monotonic clock); absent or null: `finishedAtMs - startedAtMs`.
   */
  readonly runPreciseMs?: number | null;
}

/**
 * Runs attempts in containers. Contract:
 * - resolves with an outcome for anything the task did (exit, timeout, OOM, cancel via `signal`);
 *   a cancel's outcome is CANCELLED with reason `cancelled: <reason>` (the abort reason's message)
 *   and keeps the stdout/stderr the task printed up to then (as far as the isolation mode can);
 * - rejects only with `InfraError` when the engine failed (then nothing ran to completion and the
 *   caller may retry the attempt without counting it);
 * - never leaves the attempt's container behind.
 */
export interface ExecutorPort {
  execute(request: ExecutionRequest, signal: CancelSignal): Promise<ExecutionOutcome>;
  /** Keep `count` started, idle containers of `stack` ready. 0 disables prewarming for it. */
  prewarm(stack: string, imageId: string, count: number): void;
  /** Idle containers per stack, for metrics. */
  warmCounts(): Readonly<Record<string, number>>;
  /** Remove every idle container; idempotent. */
  close(): Promise<void>;
}
