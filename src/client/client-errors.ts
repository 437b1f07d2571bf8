/** `submitAndWait` saw no result for the task within its timeout; the task may still run. */
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
 * A task's payload is larger than the payload cap (`payloadCapBytes`, by default the worker's
 * default cap): a worker would dead-letter it as `too_large`, so it is refused before sending.
 * A `TypeError` like every other invalid task.
 */
export class PayloadTooLargeError extends TypeError {
  constructor(
    readonly taskId: string,
    readonly payloadBytes: number,
    readonly capBytes: number,
  ) {
    super(
      `payload of task ${taskId} is ${payloadBytes} bytes, over the payload cap of ${capBytes} bytes (workers dead-letter larger payloads as too_large)`,
    );
    this.name = 'PayloadTooLargeError';
  }
}
