import type { TaskEvent } from '../domain/task-event.js';

/**
 * What a scheduler does with ticks that passed while nobody could fire them (every scheduler down,
 * a failover in progress): `LATEST` fires the most recent one once and skips older ones; `SKIP`
 * fires none that is later than the lateness tolerance; `ALL` fires each, oldest first, at most
 * `MAX_CATCH_UP_TICKS` per pass.
 */
export type MissedTickPolicy = 'LATEST' | 'SKIP' | 'ALL';

export const MISSED_TICK_POLICIES: readonly MissedTickPolicy[] = Object.freeze(['LATEST', 'SKIP', 'ALL']);

/**
 * A schedule as it lives on `<prefix>.schedules` (key = name). Field names mirror
 * `schemas/schedule.avsc`. Contract: exactly one of `cron` and `everyMs` is set; each tick at or
 * before `activeSinceMs` never fires; a tick fires `task` with id `scheduledTaskId(name, tickMs)`.
 */
export interface Schedule {
  readonly name: string;
  /** Cron expression: 5 fields, or 6 with seconds first (croner syntax). */
  readonly cron: string | null;
  /** IANA zone `cron` is evaluated in; null = UTC. */
  readonly timeZone: string | null;
  /** Fixed interval: ticks at `anchorMs + k * everyMs`. */
  readonly everyMs: number | null;
  readonly anchorMs: number;
  /** The task every tick submits; its `id` and `createdAtMs` are replaced per fire. */
  readonly task: TaskEvent;
  readonly paused: boolean;
  readonly missedTicks: MissedTickPolicy;
  readonly createdAtMs: number;
  /** Creation time, then the last resume: ticks at or before it never fire. */
  readonly activeSinceMs: number;
  readonly updatedAtMs: number;
}

/** The last tick fired for one schedule, on `<prefix>.schedule-ticks` (key = name). */
export interface ScheduleTick {
  readonly name: string;
  readonly tickMs: number;
  readonly taskId: string;
  readonly firedAtMs: number;
  readonly workerId: string;
}

/** Shortest `everyMs`: finer than a second is not what a Kafka-borne schedule can keep. */
export const MIN_EVERY_MS = 1000;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Why `name` is not a schedule name, or null. Names are Kafka keys and part of task ids. */
export function scheduleNameViolation(name: string): string | null {
  return NAME.test(name)
    ? null
    : `schedule name '${name}' must be 1-128 characters of letters, digits, '.', '_', '-', starting with a letter or digit`;
}

/**
 * The id of the task fired for `tickMs`: the same on every scheduler and on every repeat of the
 * fire (after a crash or failover), so consumers and idempotent intake can drop repeats.
 */
export function scheduledTaskId(name: string, tickMs: number): string {
  return `sched:${name}:${tickMs}`;
}

/** Labels every fired task carries (copied into its results). */
export const SCHEDULE_LABELS = Object.freeze({
  name: 'berth.schedule',
  tickMs: 'berth.schedule.tick-ms',
});

/** The task fired for `tickMs` of `schedule`, created at `nowMs`. */
export function taskForTick(schedule: Schedule, tickMs: number, nowMs: number): TaskEvent {
  return {
    ...schedule.task,
    id: scheduledTaskId(schedule.name, tickMs),
    attempt: 1,
    createdAtMs: nowMs,
    labels: {
      ...schedule.task.labels,
      [SCHEDULE_LABELS.name]: schedule.name,
      [SCHEDULE_LABELS.tickMs]: String(tickMs),
    },
  };
}
