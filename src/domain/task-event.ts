/**
 * A unit of work as it travels on `berth.tasks` (and `berth.retry`).
 *
 * Contract: `id` is the idempotency key chosen by the producer; every result carries it back
 * together with `attempt`, so consumers can de-duplicate re-deliveries. Exactly one of `code`
 * and `inline` is set. Field names mirror `schemas/task-event.avsc` one to one.
 */
export interface TaskEvent {
  readonly id: string;
  /** Run a pushed code package; `revision` null means "newest at the time the task starts". */
  readonly code: CodeRef | null;
  /** Run a command directly in a stack, without a code package. */
  readonly inline: InlineTask | null;
  /** Opaque bytes the task sees at /task/payload (and $PAYLOAD_FILE). Default cap 64 KiB. */
  readonly payload: Uint8Array;
  /** 0 (low) – 2 (high). */
  readonly priority: number;
  /** Wall-clock limit for one attempt; at most 60 minutes. Null: package or worker default. */
  readonly timeoutMs: number | null;
  /** Total attempts allowed (1 = no retry). Null: package or worker default. */
  readonly maxAttempts: number | null;
  /** 1-based attempt number of this delivery. */
  readonly attempt: number;
  /** Memory the task asks for; counted against the worker's memory budget. Null: default. */
  readonly memoryBytes: number | null;
  /** Whether the task container gets a network. Null: package default, else off. */
  readonly network: boolean | null;
  readonly labels: Readonly<Record<string, string>>;
  /** Producer clock, epoch milliseconds. */
  readonly createdAtMs: number;
  /**
   * Not before this epoch ms (producer clock); null or absent: at once. Schema v2. A worker that
   * meets a task not yet due moves it to `berth.retry` with this time as its not-before header
   * and commits its offset: it holds no slot and blocks neither its partition nor its commit.
   */
  readonly runAtMs?: number | null;
}

export interface CodeRef {
  readonly name: string;
  readonly revision: number | null;
}

export interface InlineTask {
  /** Stack name, e.g. `python-3.11`. */
  readonly stack: string;
  /** argv, run with /task/code as the working directory. */
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** Where a consumed event came from; used for commits and reported in results. */
export interface SourcePosition {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset as a decimal string (Kafka offsets are int64). */
  readonly offset: string;
}

export const MAX_TASK_TIMEOUT_MS = 60 * 60 * 1000;
