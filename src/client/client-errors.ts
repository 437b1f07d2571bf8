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
