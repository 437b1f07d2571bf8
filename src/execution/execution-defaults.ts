/** Worker-side defaults and limits applied when turning a task event into an execution request. */
export interface ExecutionDefaults {
  readonly memoryBudgetBytes: number;
  readonly defaultMemoryBytes: number;
  readonly defaultTimeoutMs: number;
  readonly defaultNanoCpus: number;
  readonly defaultPidsLimit: number;
  readonly defaultMaxAttempts: number;
  readonly retryBaseDelayMs: number;
  readonly payloadCapBytes: number;
  readonly stdoutCapBytes: number;
  readonly stderrCapBytes: number;
  readonly outputCapBytes: number;
}
