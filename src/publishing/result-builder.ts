import type { ExecutionOutcome } from '../domain/executor-port.js';
import { NO_OUTPUT, type TaskResult, type TaskStatus } from '../domain/task-result.js';
import type { AttemptContext } from './attempt-context.js';

/** Milliseconds spent in each phase of an attempt, all ≥ 0. */
export interface AttemptTimings {
  readonly queueWaitMs: number;
  readonly startLatencyMs: number;
  readonly runMs: number;
}

/** Queue wait counts from creation, or from consumption when the producer's clock is ahead. */
export function timingsOf(
  ctx: AttemptContext,
  slotGrantedAtMs: number,
  outcome: ExecutionOutcome | null,
): AttemptTimings {
  const queuedFromMs = Math.min(Math.max(ctx.event.createdAtMs, 0) || ctx.consumedAtMs, ctx.consumedAtMs);
  const queueWaitMs = Math.max(0, slotGrantedAtMs - queuedFromMs);
  if (!outcome || outcome.startedAtMs === null) return { queueWaitMs, startLatencyMs: 0, runMs: 0 };
  return {
    queueWaitMs,
    startLatencyMs: Math.max(0, outcome.startedAtMs - slotGrantedAtMs),
    runMs: Math.max(0, outcome.finishedAtMs - outcome.startedAtMs),
  };
}

/** The result of an attempt that ran (or was cancelled while running). */
export function resultFromOutcome(
  ctx: AttemptContext,
  outcome: ExecutionOutcome,
  timings: AttemptTimings,
  reason?: string,
): TaskResult {
  // One literal (no spreads): this runs once per task on the high-rate path.
  const e = ctx.event;
  return {
    id: e.id,
    attempt: e.attempt,
    stack: ctx.stack,
    stackImage: ctx.imageId,
    codeName: ctx.codeName,
    codeRevision: ctx.codeRevision,
    codeDigest: ctx.codeDigest,
    workerId: ctx.workerId,
    sourceTopic: ctx.sourceTopic,
    sourcePartition: ctx.sourcePartition,
    sourceOffset: ctx.sourceOffset,
    labels: e.labels,
    status: outcome.status,
    exitCode: outcome.exitCode,
    reason: reason ?? outcome.reason,
    stdout: outcome.stdout,
    stdoutTruncated: outcome.stdoutTruncated,
    stderr: outcome.stderr,
    stderrTruncated: outcome.stderrTruncated,
    outputs: outcome.outputs,
    outputsTruncated: outcome.outputsTruncated,
    queueWaitMs: timings.queueWaitMs,
    startLatencyMs: timings.startLatencyMs,
    runMs: timings.runMs,
    finishedAtMs: outcome.finishedAtMs,
    returnValue: outcome.returnValue ?? null,
  };
}

/** A result for an attempt that never ran: REJECTED or CANCELLED before start. */
export function resultWithoutRun(
  ctx: AttemptContext,
  status: Extract<TaskStatus, 'REJECTED' | 'CANCELLED'>,
  reason: string,
  nowMs: number,
): TaskResult {
  // An outcome has no REJECTED status; the result's own status is set below.
  const outcome: ExecutionOutcome = {
    status: 'CANCELLED',
    exitCode: null,
    reason,
    ...NO_OUTPUT,
    startedAtMs: null,
    finishedAtMs: nowMs,
  };
  const timings = { queueWaitMs: Math.max(0, nowMs - ctx.consumedAtMs), startLatencyMs: 0, runMs: 0 };
  return { ...resultFromOutcome(ctx, outcome, timings), status };
}
