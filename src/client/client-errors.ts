/** `submitAndWait` or `waitForResult` saw no result for the task within its timeout; the task may still run. */
export class ResultTimeoutError extends Error {
  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
  ) {
    super(
      `no result for task ${taskId} within ${timeoutMs} ms (it may still run; its result will appear on the results topic)`,
    );
    this.name = 'ResultTimeoutError';
  }
}

/**
 * A wait or lookup was stopped through its `AbortSignal`. Like Node's own `AbortError`: `name` is
 * `'AbortError'`, `code` is `'ABORT_ERR'`, `cause` is the signal's reason. Aborting a wait stops
 * only the wait: a submitted task keeps running (`cancel(id)` asks workers to stop it).
 */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(what: string, signal: AbortSignal) {
    super(`${what} was aborted`, { cause: signal.reason });
    this.name = 'AbortError';
  }
}

/** One broken rule of a task, at the path of the `TaskInput` field (`priority`, `inline.command[1]`). */
export interface TaskValidationIssue {
  readonly path: string;
  /** The whole rule as text, starting with the path: `priority 7 is not 0, 1 or 2`. */
  readonly message: string;
}

/**
 * A task given to `submit`, `submitMany` or `submitAndWait` breaks a rule; nothing was sent.
 * `issues` lists every broken rule with its field path; the message joins them. A `TypeError`,
 * so code that caught invalid tasks as `TypeError` before keeps working.
 */
export class TaskValidationError extends TypeError {
  readonly issues: readonly TaskValidationIssue[];
  constructor(
    readonly taskId: string | null,
    issues: readonly TaskValidationIssue[],
  ) {
    super(`invalid task: ${issues.map((i) => i.message).join('; ')}`);
    this.name = 'TaskValidationError';
    this.issues = Object.freeze([...issues]);
  }

  /** The field paths of the broken rules, e.g. `['priority', 'inline.command']`. */
  get paths(): string[] {
    return this.issues.map((i) => i.path);
  }
}

/**
 * A task's payload is larger than the payload cap (`payloadCapBytes`, by default the worker's
 * default cap): a worker would dead-letter it as `too_large`, so it is refused before sending.
 * A `TaskValidationError` on the path `payload`.
 */
export class PayloadTooLargeError extends TaskValidationError {
  constructor(
    override readonly taskId: string,
    readonly payloadBytes: number,
    readonly capBytes: number,
  ) {
    super(taskId, [
      {
        path: 'payload',
        message: `payload of task ${taskId} is ${payloadBytes} bytes, over the payload cap of ${capBytes} bytes (workers dead-letter larger payloads as too_large)`,
      },
    ]);
    this.message = this.issues[0]?.message ?? this.message;
    this.name = 'PayloadTooLargeError';
  }
}
