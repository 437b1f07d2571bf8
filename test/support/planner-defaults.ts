/** Worker limits the execution planner tests run with (a 1 GiB budget, 1 MiB output caps). */
export const MB = 1024 * 1024;

export const plannerDefaults = Object.freeze({
  memoryBudgetBytes: 1024 * MB,
  defaultMemoryBytes: 256 * MB,
  defaultTimeoutMs: 300_000,
  defaultNanoCpus: 5e8,
  defaultPidsLimit: 100,
  defaultMaxAttempts: 1,
  retryBaseDelayMs: 1000,
  payloadCapBytes: 64 * 1024,
  stdoutCapBytes: MB,
  stderrCapBytes: MB,
  outputCapBytes: 2 * MB,
});
