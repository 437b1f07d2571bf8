import type { ExecutionRequest } from '../domain/executor-port.js';
import type { SecretRedactor } from '../secrets/secret-redactor.js';

/** What the worker needs besides the request to run and report one attempt. */
export interface ExecutionPlan {
  readonly request: ExecutionRequest;
  readonly stack: string;
  readonly imageId: string;
  readonly codeName: string | null;
  readonly codeRevision: number | null;
  readonly codeDigest: string | null;
  /** Total attempts allowed, resolved from task, package, worker default. */
  readonly maxAttempts: number;
  /** Base of the retry backoff for this task. */
  readonly retryDelayMs: number;
  /** Running tasks of this code package per worker; 0 = unlimited. */
  readonly maxConcurrency: number;
  readonly priority: number;
  /**
   * Hides this task's secret values in its outcome and in error text before anything is
   * published or logged; null when the task has no secrets.
   */
  readonly redactor: SecretRedactor | null;
}

/** A task that will not run: the reason goes into a REJECTED result. */
export interface Rejection {
  readonly reason: string;
  readonly stack: string | null;
  readonly imageId: string | null;
  readonly codeName: string | null;
  readonly codeRevision: number | null;
  readonly codeDigest: string | null;
}

export type PlanResult =
  | { readonly ok: true; readonly plan: ExecutionPlan }
  | { readonly ok: false; readonly rejection: Rejection };
