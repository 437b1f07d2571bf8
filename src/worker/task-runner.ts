import type { Codec } from '../codecs/codec.js';
import type { ExecutionOutcome, ExecutorPort } from '../domain/executor-port.js';
import { InfraError } from '../domain/infra-error.js';
import type { AttemptFeed, LiveFeedPort } from '../domain/live-feed.js';
import { type CancelSignal, TaskCancel } from '../domain/task-cancel.js';
import type { TaskEvent } from '../domain/task-event.js';
import type { TaskResult } from '../domain/task-result.js';
import type { TaskSpan, TelemetryPort } from '../domain/telemetry-port.js';
import type { ExecutionPlan } from '../execution/execution-plan.js';
import type { ExecutionPlanner } from '../execution/execution-planner.js';
import type { HeldTask } from '../intake/held-task.js';
import { HEADERS } from '../kafka/topic-names.js';
import type { RecentTaskIds } from '../ledger/recent-task-ids.js';
import { decodeFailureReason } from '../observability/dlq-reason.js';
import { ATTR } from '../observability/span-names.js';
import type { AttemptContext } from '../publishing/attempt-context.js';
import type { OutcomePublisher } from '../publishing/outcome-publisher.js';
import { routeOutcome } from '../publishing/outcome-router.js';
import { resultFromOutcome, resultWithoutRun, timingsOf } from '../publishing/result-builder.js';
import { withRetry } from '../resilience/retry.js';
import type { SecretRedactor } from '../secrets/secret-redactor.js';
import type { PackageLimiter } from '../slots/package-limiter.js';
import type { SlotLease, SlotPool } from '../slots/slot-pool.js';
import { type CancelRegistry, TaskAbort } from './cancel-registry.js';
import { executeWithLossLimit } from './container-loss-limit.js';
import type { WorkerCounters } from './worker-counters.js';

export interface TaskRunnerDeps {
  readonly workerId: string;
  readonly eventCodec: Codec<TaskEvent>;
  readonly planner: ExecutionPlanner;
  readonly slots: SlotPool;
  readonly packages: PackageLimiter;
  readonly executor: ExecutorPort;
  readonly publisher: OutcomePublisher;
  readonly cancels: CancelRegistry;
  /** Live output and progress of running attempts (best effort); absent: none published. */
  readonly progress?: LiveFeedPort;
  readonly telemetry: TelemetryPort;
  readonly counters: WorkerCounters;
  readonly payloadCapBytes: number;
  readonly retryMaxDelayMs: number;
  /** Aborts (reason: TaskAbort 'shutdown') when the worker drains: tasks still waiting for a slot give up. */
  readonly draining: AbortSignal;
  /** Aborts when the worker stops for good: endless publish retries give up, nothing more is acked. */
  readonly shutdown: AbortSignal;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
  /** Monotonic ms with sub-ms resolution (default `performance.now`), for the overhead metric. */
  readonly tick?: () => number;
  /**
   * Resolves true while this worker still owns the task's partition (same ownership epoch, group
   * session proven alive), false once it lost it; waits while that is unknown (e.g. right after
   * the process was stopped for longer than its session). Absent: always owned (unit tests).
   */
  readonly owns?: (task: HeldTask) => Promise<boolean>;
  /**
   * The idempotency memory: a record whose id (and attempt) another record carried within its
   * window is neither run nor published. Absent: every record runs.
   */
  readonly ids?: RecentTaskIds;
}

/** Room for the event envelope around a payload at the cap before a record counts as oversized. */
const ENVELOPE_BYTES = 16 * 1024;

type Decoded = { ok: true; event: TaskEvent } | { ok: false; reason: string };

/**
 * Carries one held task to its end: decode, plan, wait for a slot, execute, route and publish.
 * Contract: `run` never rejects for anything about the task; it resolves true when the task's
 * outcome records (result, retry or dead letter + result) were acknowledged by Kafka — only then
 * may its offset be committed — and false when the worker stopped first or the partition moved
 * to another worker (the task will be re-delivered). Should finishing fail otherwise (a worker
 * fault, an outcome refused for good), the record is dead-lettered with reason `other: …`.
 * Engine failures (InfraError) re-run the same attempt with backoff.
 */
export class TaskRunner {
  private readonly now: () => number;
  private readonly tick: () => number;
  /** Aborts when the worker drains or stops (made once, on the first task that needs it). */
  private stopping: AbortSignal | null = null;

  constructor(private readonly d: TaskRunnerDeps) {
    this.now = d.now ?? Date.now;
    this.tick = d.tick ?? performance.now.bind(performance);
  }

  async run(task: HeldTask): Promise<boolean> {
    const { record } = task;
    let decoded: Decoded;
    try {
      decoded = await this.decode(task);
    } catch (err) {
      // Only an InfraError gets here (the schema registry cannot answer) and only once the worker
      // stops or drains: the record stays uncommitted and is delivered again.
      if (this.d.shutdown.aborted || this.d.draining.aborted) return false;
      throw err;
    }
    const span = this.d.telemetry.startTask(record.headers, {
      taskId: decoded.ok ? decoded.event.id : `${record.topic}/${record.partition}@${record.offset}`,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
    });
    try {
      if (!decoded.ok) return await this.deadLetterOnly(task, decoded.reason, span);
      if (!this.admitted(task, decoded.event, span)) return true;
      const acked = await this.runEvent(task, decoded.event, span);
      if (!acked) this.d.ids?.release(decoded.event.id, positionOf(task));
      return acked;
    } catch (err) {
      if (this.d.shutdown.aborted || (err instanceof TaskAbort && err.kind === 'shutdown')) {
        span.end('KILLED', 'worker stopped before the outcome was acknowledged');
        return false;
      }
      // A fault of the worker itself, or an outcome Kafka refused for good: dead-letter the
      // record so its offset still reaches a committed end instead of freezing the partition.
      const why = err instanceof Error ? err.message : String(err);
      this.d.log?.(
        `task at ${record.topic}/${record.partition}@${record.offset} failed in the worker (${why}): dead-lettering it`,
      );
      return await this.deadLetterOnly(task, `other: worker failed to finish the task: ${why}`, span);
    }
  }

  /**
   * Asks the idempotency memory whether this record runs. A duplicate (another record carried the
   * id within the window) or a re-delivery of a finished record is dropped: nothing is published
   * for it and its offset is committed like a finished task's.
   */
  private admitted(task: HeldTask, event: TaskEvent, span: TaskSpan): boolean {
    if (this.d.ids === undefined) return true;
    const position = positionOf(task);
    const origin = task.record.headers[HEADERS.origin] ?? position;
    const admission = this.d.ids.admit(event.id, event.attempt, position, origin);
    if (admission.kind === 'run') return true;
    const why =
      admission.kind === 'duplicate'
        ? `duplicate of task id ${event.id} submitted at ${admission.first}`
        : `re-delivery of task ${event.id} whose result is already published`;
    this.d.log?.(`task at ${position} not run: ${why}`);
    this.d.telemetry.taskNotRun?.(admission.kind);
    span.end('REJECTED', `not run: ${why}`);
    return false;
  }

  private async decode(task: HeldTask): Promise<Decoded> {
    const value = task.record.value;
    if (value === null) return { ok: false, reason: 'undecodable: record has no value' };
    if (value.byteLength > this.d.payloadCapBytes + ENVELOPE_BYTES) {
      return { ok: false, reason: `too_large: record of ${value.byteLength} bytes exceeds the payload cap` };
    }
    let event: TaskEvent;
    try {
      event = await this.decodeAwaitingRegistry(task, value);
    } catch (err) {
      if (err instanceof InfraError) throw err;
      return { ok: false, reason: decodeFailureReason(err) };
    }
    if (event.payload.byteLength > this.d.payloadCapBytes) {
      return {
        ok: false,
        reason: `too_large: payload of ${event.payload.byteLength} bytes exceeds ${this.d.payloadCapBytes}`,
      };
    }
    return { ok: true, event };
  }

  /**
   * Decodes, looking an unknown schema id up in the schema registry. While the registry cannot
   * answer (unreachable, 5xx, even refusing credentials) the task waits and retries with backoff,
   * saying so in the log: its bytes may be fine, so it is neither dead-lettered nor committed. Its
   * partition's commit waits with it and intake stops once its room is full. Rejects with the
   * InfraError only when the worker drains or stops.
   */
  private async decodeAwaitingRegistry(task: HeldTask, value: Uint8Array): Promise<TaskEvent> {
    // The common case first, without the retry machinery (it is on every task's path).
    try {
      return await this.d.eventCodec.decodeAsync(value);
    } catch (err) {
      if (!(err instanceof InfraError)) throw err;
    }
    const r = task.record;
    this.stopping ??= AbortSignal.any([this.d.draining, this.d.shutdown]);
    return withRetry(() => this.d.eventCodec.decodeAsync(value), {
      attempts: Number.POSITIVE_INFINITY,
      baseDelayMs: 500,
      maxDelayMs: 10_000,
      signal: this.stopping,
      shouldRetry: (err) => err instanceof InfraError,
      onRetry: (err, attempt, delayMs) => {
        this.d.log?.(
          `task at ${r.topic}/${r.partition}@${r.offset} waits for the schema registry (attempt ${attempt}, retrying in ${delayMs} ms): ${(err as Error).message}`,
        );
      },
    });
  }

  /**
   * True when the task's partition moved to another worker: its outcome must not be published
   * (the new owner runs the task again and publishes the one result that counts).
   */
  private async withheld(task: HeldTask, span: TaskSpan): Promise<boolean> {
    if (this.d.owns === undefined || (await this.d.owns(task))) return false;
    const r = task.record;
    this.d.log?.(
      `partition ${r.topic}/${r.partition} moved to another worker: outcome of offset ${r.offset} withheld`,
    );
    span.end('KILLED', 'partition moved to another worker: outcome withheld');
    return true;
  }

  private async deadLetterOnly(task: HeldTask, reason: string, span: TaskSpan): Promise<boolean> {
    if (await this.withheld(task, span)) return false;
    const r = task.record;
    await this.d.publisher.publishDeadLetter(r.key, r.value ?? new Uint8Array(0), reason, {
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
    });
    this.d.telemetry.deadLettered(reason);
    span.end('DLQ', reason);
    return true;
  }

  private async runEvent(task: HeldTask, event: TaskEvent, span: TaskSpan): Promise<boolean> {
    const cancel = new TaskCancel();
    const untrack = this.d.cancels.track(event.id, cancel);
    // Opened before planning so the request is built with it (publishes nothing until the
    // attempt reports output or progress); closed once the outcome is known, at the latest here.
    let feed: AttemptFeed | null = null;
    try {
      let ctx = this.context(task, event, null);
      const cancelled = this.d.cancels.cancelReason(event.id);
      if (cancelled !== null)
        return await this.finishWithout(task, ctx, 'CANCELLED', `cancelled before start: ${cancelled}`, span);
      if (event.runAtMs != null && event.runAtMs > this.now()) return await this.delay(task, event, span);
      // Planning reads the code topic (Kafka) and the local images; retry it at Kafka's pace.
      feed = this.d.progress?.open(event.id, event.attempt) ?? null;
      const live = feed ?? undefined;
      const planned = await this.infraRetry(() => this.d.planner.plan(event, live), cancel, 'kafka');
      if (!planned.ok) {
        ctx = { ...ctx, ...planned.rejection };
        return await this.finishWithout(task, ctx, 'REJECTED', planned.rejection.reason, span);
      }
      ctx = this.context(task, event, planned.plan);
      return await this.runPlanned(task, ctx, planned.plan, cancel, span, feed);
    } catch (err) {
      if (err instanceof TaskAbort && err.kind === 'cancel') {
        const ctx = this.context(task, event, null);
        return await this.finishWithout(
          task,
          ctx,
          'CANCELLED',
          `cancelled while waiting: ${err.message}`,
          span,
        );
      }
      throw err;
    } finally {
      feed?.close();
      untrack();
    }
  }

  /**
   * A task not due yet moves to berth.retry, unchanged, with its run-at time as the not-before
   * header and its origin: once that record is acknowledged this one is finished (its offset
   * commits), so the task holds no slot and its partition goes on. The retry consumer starts it
   * when due (`IntakeBuffer` wakes at that time); the state lives on Kafka, so a restart keeps it.
   */
  private async delay(task: HeldTask, event: TaskEvent, span: TaskSpan): Promise<boolean> {
    if (await this.withheld(task, span)) return false;
    const position = positionOf(task);
    const origin = task.record.headers[HEADERS.origin] ?? position;
    await this.d.publisher.publishRetry(task.record.key, event, event.runAtMs as number, {
      ...traceHeaders(task),
      [HEADERS.origin]: origin,
    });
    this.d.ids?.moved(event.id, position);
    this.d.telemetry.taskDelayed?.();
    span.end('RETRY', `delayed until ${new Date(event.runAtMs as number).toISOString()}`);
    return true;
  }

  private async runPlanned(
    task: HeldTask,
    ctx: AttemptContext,
    plan: ExecutionPlan,
    cancel: TaskCancel,
    span: TaskSpan,
    feed: AttemptFeed | null,
  ): Promise<boolean> {
    span.phase('wait_slot');
    // Function mode: the runtime containers are the slots (maxConcurrency containers, a bounded
    // pipeline each, memory reserved per container), so neither the package limiter nor the
    // per-task slot pool applies; intake's room still bounds the tasks held.
    const functionMode = plan.request.hot?.handler !== undefined;
    const waitSignal = functionMode ? cancel : AbortSignal.any([cancel.signal, this.d.draining]);
    const releasePackage = functionMode
      ? noop
      : await this.d.packages.acquire(plan.codeName ?? '', plan.maxConcurrency, waitSignal);
    let lease: SlotLease | null = null;
    try {
      if (!functionMode)
        lease = await this.d.slots.acquire(plan.request.memoryBytes, plan.priority, waitSignal);
      const grantedAtMs = this.now();
      span.phase('start');
      if (span.recording !== false)
        span.setAttributes({ [ATTR.stack]: plan.stack, [ATTR.taskAttempt]: ctx.event.attempt });
      // Secret values are replaced before the outcome goes anywhere (result, retry reason, span);
      // the request's live feed (the planner put it behind the redactor) never awaits Kafka.
      const redactor = plan.redactor;
      const outcome = await this.infraRetry(
        executeWithLossLimit(this.d.executor, plan.request, cancel, () => this.now()),
        cancel,
        'docker',
        redactor,
      ).then(
        (o) => redactor?.outcome(o) ?? o,
        (err: unknown) => {
          throw redactor?.error(err) ?? err;
        },
      );
      // Pending output and progress go out before the result.
      feed?.close();
      // The executor reports when the task process started: the run phase begins there.
      if (outcome.startedAtMs !== null) span.phase('run', outcome.startedAtMs);
      lease?.release();
      lease = null;
      releasePackage();
      if (cancel.reason instanceof TaskAbort && cancel.reason.kind === 'shutdown') {
        span.end('KILLED', 'worker stopped: attempt abandoned uncommitted');
        return false;
      }
      span.phase('publish');
      if (await this.withheld(task, span)) return false;
      await this.publishOutcome(task, ctx, plan, outcome, grantedAtMs, span);
      return true;
    } finally {
      lease?.release();
      releasePackage();
    }
  }

  private async publishOutcome(
    task: HeldTask,
    ctx: AttemptContext,
    plan: ExecutionPlan,
    outcome: ExecutionOutcome,
    grantedAtMs: number,
    span: TaskSpan,
  ): Promise<void> {
    const route = routeOutcome(
      ctx.event,
      outcome,
      {
        maxAttempts: plan.maxAttempts,
        retryDelayMs: plan.retryDelayMs,
        retryMaxDelayMs: this.d.retryMaxDelayMs,
      },
      this.now(),
    );
    if (route.kind === 'retry') {
      await this.d.publisher.publishRetry(task.record.key, route.next, route.notBeforeMs, traceHeaders(task));
      this.d.telemetry.taskRetried(plan.stack);
      span.end('RETRY', outcome.reason ?? outcome.status);
      return;
    }
    const timings = timingsOf(ctx, grantedAtMs, outcome);
    if (route.kind === 'exhausted') {
      const r = task.record;
      await this.d.publisher.publishDeadLetter(r.key, r.value ?? new Uint8Array(0), route.reason, {
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
      });
      this.d.telemetry.deadLettered(route.reason);
    }
    const result = resultFromOutcome(ctx, outcome, timings);
    await this.publishFinal(result, span, ctx, outcome.runPreciseMs ?? result.runMs);
  }

  private async finishWithout(
    task: HeldTask,
    ctx: AttemptContext,
    status: 'REJECTED' | 'CANCELLED',
    reason: string,
    span: TaskSpan,
  ): Promise<boolean> {
    if (await this.withheld(task, span)) return false;
    await this.publishFinal(resultWithoutRun(ctx, status, reason, this.now()), span, ctx, 0);
    return true;
  }

  /**
   * Publishes the attempt's final result and reports it. The platform overhead is consumed →
   * result acknowledged minus `runMs` (the run's duration, sub-ms where the executor measured it),
   * on the monotonic clock.
   */
  private async publishFinal(
    result: TaskResult,
    span: TaskSpan,
    ctx: AttemptContext,
    runMs: number,
  ): Promise<void> {
    span.phase('publish');
    await this.d.publisher.publishResult(result);
    this.d.ids?.resultSeen(
      result.id,
      result.attempt,
      `${result.sourceTopic}/${result.sourcePartition}@${result.sourceOffset}`,
      this.now(),
    );
    this.d.counters.count(result.status);
    this.d.telemetry.taskFinished(result.stack ?? 'unknown', result.status, {
      queueWait: result.queueWaitMs / 1000,
      startLatency: result.startLatencyMs / 1000,
      run: result.runMs / 1000,
      overhead: Math.max(0, this.tick() - ctx.consumedAtTick - runMs) / 1000,
    });
    span.end(result.status, result.reason ?? undefined);
  }

  private context(task: HeldTask, event: TaskEvent, plan: ExecutionPlan | null): AttemptContext {
    return {
      event,
      workerId: this.d.workerId,
      sourceTopic: task.record.topic,
      sourcePartition: task.record.partition,
      sourceOffset: task.record.offset,
      consumedAtMs: task.consumedAtMs,
      consumedAtTick: task.consumedAtTick,
      stack: plan?.stack ?? event.inline?.stack ?? null,
      imageId: plan?.imageId ?? null,
      codeName: plan?.codeName ?? event.code?.name ?? null,
      codeRevision: plan?.codeRevision ?? null,
      codeDigest: plan?.codeDigest ?? null,
    };
  }

  /** Repeats `fn` while it fails with a retriable InfraError, until `signal` aborts. */
  private infraRetry<T>(
    fn: () => Promise<T>,
    signal: CancelSignal,
    component: 'docker' | 'kafka',
    redactor: SecretRedactor | null = null,
  ): Promise<T> {
    return withRetry(fn, {
      attempts: Number.POSITIVE_INFINITY,
      // Kafka comes back quickly after an outage and a waiting plan should notice within ~2 s; an
      // engine error is usually load, where backing off further helps.
      baseDelayMs: component === 'kafka' ? 200 : 500,
      maxDelayMs: component === 'kafka' ? 2_000 : 10_000,
      signal,
      onRetry: (err, attempt, delayMs) => {
        const failed = err instanceof InfraError ? err.component : component;
        this.d.telemetry.infraError(failed === 'kafka' || failed === 'docker' ? failed : component);
        const raw = err instanceof InfraError ? err.message : String(err);
        const msg = redactor === null ? raw : redactor.text(raw);
        this.d.log?.(`infrastructure error (attempt ${attempt}, retrying in ${delayMs} ms): ${msg}`);
      },
    }).catch((err: unknown) => {
      if (signal.aborted && signal.reason instanceof TaskAbort) throw signal.reason;
      throw err;
    });
  }
}

function noop(): void {}

/** `topic/partition@offset` of the record that carries the task (as results report it). */
function positionOf(task: HeldTask): string {
  return `${task.record.topic}/${task.record.partition}@${task.record.offset}`;
}

function traceHeaders(task: HeldTask): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [HEADERS.traceparent, HEADERS.tracestate]) {
    const v = task.record.headers[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}
