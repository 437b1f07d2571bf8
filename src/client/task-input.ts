import { randomUUID } from 'node:crypto';
import { taskEventViolation } from '../codecs/task-event-rules.js';
import { DEFAULT_PAYLOAD_CAP_BYTES, WORKER_SETTINGS } from '../config/worker-settings.js';
import { type PriorityLane, priorityOfLane } from '../domain/priority-lane.js';
import type { CodeRef, InlineTask, TaskEvent } from '../domain/task-event.js';
import { PayloadTooLargeError, TaskValidationError } from './client-errors.js';
import { taskInputIssues } from './task-validation.js';

/** What a caller gives `submit`: a TaskEvent with defaults for everything but the work itself. */
export interface TaskInput {
  /** Idempotency key; a random UUID when absent. */
  readonly id?: string;
  /** `"name"` (newest revision), `"name@3"`, or `{ name, revision }`. Exactly one of code/inline. */
  readonly code?: string | { readonly name: string; readonly revision?: number | null };
  readonly inline?: {
    readonly stack: string;
    readonly command: readonly string[];
    readonly env?: Record<string, string>;
  };
  /** Bytes as is, strings as UTF-8, anything else as JSON. Default: empty. */
  readonly payload?: Uint8Array | string | unknown;
  /**
   * The task's priority lane: `'high'` (2), `'normal'` (1, the default) or `'low'` (0), by name
   * or number. It picks the tasks topic the task is sent to (`<prefix>.tasks.high`,
   * `<prefix>.tasks`, `<prefix>.tasks.low`) and is kept as the TaskEvent's `priority`.
   */
  readonly priority?: 0 | 1 | 2 | PriorityLane;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
  readonly memoryBytes?: number;
  readonly network?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  /** Ordering key: tasks with the same key run in order. Default: the task id. */
  readonly key?: string;
  /**
   * Start no earlier than this many milliseconds after submit (the client's clock). The task
   * waits on Kafka, holding no worker slot; at most one of `delayMs` and `runAt`.
   */
  readonly delayMs?: number;
  /** Start no earlier than this time (a `Date` or epoch milliseconds). At most one of `delayMs` and `runAt`. */
  readonly runAt?: Date | number;
}

/** Epoch ms before which the task must not start, or null (`delayMs` / `runAt`, validated). */
function runAtMsOf(input: TaskInput, nowMs: number): number | null {
  if (input.delayMs !== undefined) return nowMs + input.delayMs;
  if (input.runAt === undefined) return null;
  return input.runAt instanceof Date ? input.runAt.getTime() : input.runAt;
}

/** Parses `name` or `name@rev`; a bad revision throws `TaskValidationError` (path `code`). */
export function parseCodeRef(ref: string): CodeRef {
  const at = ref.lastIndexOf('@');
  if (at <= 0) return { name: ref, revision: null };
  const rev = ref.slice(at + 1);
  if (!/^[1-9]\d*$/.test(rev))
    throw new TaskValidationError(null, [
      { path: 'code', message: `code reference '${ref}': revision must be a positive integer` },
    ]);
  return { name: ref.slice(0, at), revision: Number(rev) };
}

function payloadBytes(payload: unknown): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  if (payload instanceof Uint8Array) return payload;
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/**
 * Builds the TaskEvent for `input` (attempt 1, created now). Throws `TaskValidationError` (a
 * `TypeError`) listing every rule the task breaks with its field path (neither code nor inline,
 * priority out of range, timeout over 60 minutes, a command argument that is not a string, …).
 */
export function toTaskEvent(input: TaskInput, nowMs = Date.now()): TaskEvent {
  const issues = taskInputIssues(input);
  const givenId = typeof input?.id === 'string' ? input.id : null;
  if (issues.length > 0) throw new TaskValidationError(givenId, issues);
  const code: CodeRef | null =
    input.code === undefined
      ? null
      : typeof input.code === 'string'
        ? parseCodeRef(input.code)
        : { name: input.code.name, revision: input.code.revision ?? null };
  const inline: InlineTask | null =
    input.inline === undefined
      ? null
      : { stack: input.inline.stack, command: [...input.inline.command], env: { ...input.inline.env } };
  let event: TaskEvent = {
    id: input.id ?? randomUUID(),
    code,
    inline,
    payload: payloadBytes(input.payload),
    priority: typeof input.priority === 'string' ? priorityOfLane(input.priority) : (input.priority ?? 1),
    timeoutMs: input.timeoutMs ?? null,
    maxAttempts: input.maxAttempts ?? null,
    attempt: 1,
    memoryBytes: input.memoryBytes ?? null,
    network: input.network ?? null,
    labels: { ...input.labels },
    createdAtMs: nowMs,
  };
  const runAtMs = runAtMsOf(input, nowMs);
  if (runAtMs !== null) event = { ...event, runAtMs };
  // The codec's own rules, as a backstop: the field is the violation's first word.
  const violation = taskEventViolation(event);
  if (violation !== null)
    throw new TaskValidationError(givenId, [{ path: violation.split(' ')[0] ?? '', message: violation }]);
  return event;
}

const CAP_SETTING = WORKER_SETTINGS.payloadCapBytes;

/**
 * The payload cap to enforce: `capBytes` when given (an integer within the worker setting's
 * bounds, else `RangeError`), otherwise the worker's default cap.
 */
export function payloadCapOf(capBytes: number | undefined): number {
  if (capBytes === undefined) return DEFAULT_PAYLOAD_CAP_BYTES;
  if (!Number.isSafeInteger(capBytes) || capBytes < CAP_SETTING.min || capBytes > CAP_SETTING.max) {
    throw new RangeError(
      `payloadCapBytes must be an integer in [${CAP_SETTING.min}, ${CAP_SETTING.max}], got ${capBytes}`,
    );
  }
  return capBytes;
}

/** Throws `PayloadTooLargeError` when `event`'s payload is larger than `capBytes`. */
export function checkPayloadCap(event: TaskEvent, capBytes: number): void {
  if (event.payload.byteLength > capBytes) {
    throw new PayloadTooLargeError(event.id, event.payload.byteLength, capBytes);
  }
}
