import { checkPayloadCap, type TaskInput, toTaskEvent } from '../client/task-input.js';
import type { Codec } from '../codecs/codec.js';
import { scheduleCodec } from '../codecs/schedule-codec.js';
import { scheduleTickCodec } from '../codecs/schedule-tick-codec.js';
import { DEFAULT_PAYLOAD_CAP_BYTES } from '../config/worker-settings.js';
import type { KafkaInstance } from '../kafka/client-kafka.js';
import type { ClientProducer } from '../kafka/client-producer.js';
import { scanTopic } from '../kafka/client-topic-scan.js';
import type { TopicNames } from '../kafka/topic-names.js';
import {
  MISSED_TICK_POLICIES,
  type MissedTickPolicy,
  type Schedule,
  type ScheduleTick,
  scheduleNameViolation,
} from './schedule.js';
import { timingViolation } from './schedule-timetable.js';

/** What `create` takes: a name, exactly one of `cron` / `everyMs`, and the task each tick submits. */
export interface ScheduleInput {
  readonly name: string;
  /** Cron expression (5 fields, or 6 with seconds first), e.g. `0 9 * * 1-5`. */
  readonly cron?: string;
  /** IANA zone the cron expression is read in (e.g. `Europe/Berlin`); default UTC. */
  readonly timeZone?: string;
  /** Fixed interval in ms (at least 1000); ticks are aligned to the creation time. */
  readonly everyMs?: number;
  /** The task to submit per tick; its `id` is ignored (each fire gets `sched:<name>:<tickMs>`). */
  readonly task: Omit<TaskInput, 'id'>;
  /** Default `LATEST`. */
  readonly missedTicks?: MissedTickPolicy;
}

/** A schedule's name is not on the schedules topic. */
export class ScheduleNotFoundError extends Error {
  constructor(readonly scheduleName: string) {
    super(`no schedule named '${scheduleName}' (berth schedule list shows them)`);
    this.name = 'ScheduleNotFoundError';
  }
}

/** `create` without `replace` for a name that exists. */
export class ScheduleExistsError extends Error {
  constructor(readonly scheduleName: string) {
    super(`a schedule named '${scheduleName}' exists (delete it first, or replace it)`);
    this.name = 'ScheduleExistsError';
  }
}

export interface ScheduleClientOptions {
  readonly kafka: KafkaInstance;
  readonly topics: TopicNames;
  readonly producer: Pick<ClientProducer, 'send'>;
  /** Payload cap for the task template; default the worker's default cap. */
  readonly payloadCapBytes?: number;
  /** Called before every read or write (e.g. schema registry registration). */
  readonly ready?: () => Promise<void>;
  readonly now?: () => number;
  readonly codecs?: { readonly schedule: Codec<Schedule>; readonly tick: Codec<ScheduleTick> };
}

/**
 * The schedule for `input` created at `nowMs`, validated without sending anything: throws
 * `TypeError` (a `TaskValidationError` for the task) for a bad name, timing, missed-tick policy,
 * task, or a payload over `payloadCapBytes`.
 */
export function buildSchedule(input: ScheduleInput, nowMs: number, payloadCapBytes: number): Schedule {
  const nameProblem = scheduleNameViolation(input.name);
  if (nameProblem !== null) throw new TypeError(nameProblem);
  const policy = input.missedTicks ?? 'LATEST';
  if (!MISSED_TICK_POLICIES.includes(policy))
    throw new TypeError(
      `missed-tick policy must be one of ${MISSED_TICK_POLICIES.join(', ')}, got '${policy}'`,
    );
  const timing = {
    cron: input.cron ?? null,
    timeZone: input.timeZone ?? null,
    everyMs: input.everyMs ?? null,
    anchorMs: nowMs,
  };
  const timingProblem = timingViolation(timing);
  if (timingProblem !== null) throw new TypeError(timingProblem);
  const task = toTaskEvent({ ...input.task, id: `sched:${input.name}` }, nowMs);
  checkPayloadCap(task, payloadCapBytes);
  return {
    name: input.name,
    ...timing,
    task,
    paused: false,
    missedTicks: policy,
    createdAtMs: nowMs,
    activeSinceMs: nowMs,
    updatedAtMs: nowMs,
  };
}

/**
 * Creates, lists, pauses, resumes and deletes schedules on `<prefix>.schedules`. Contract: every
 * change is one record keyed by the schedule's name, acknowledged by Kafka before the call
 * resolves; pause/resume read the current record and write it back changed (two concurrent
 * changers of one schedule: the last write wins). A bad input throws `TypeError` before anything
 * is sent.
 */
export class ScheduleClient {
  private readonly now: () => number;
  private readonly codecs: NonNullable<ScheduleClientOptions['codecs']>;

  constructor(private readonly o: ScheduleClientOptions) {
    this.now = o.now ?? Date.now;
    this.codecs = o.codecs ?? { schedule: scheduleCodec, tick: scheduleTickCodec };
  }

  /** `buildSchedule` with this client's clock and payload cap. */
  build(input: ScheduleInput, nowMs = this.now()): Schedule {
    return buildSchedule(input, nowMs, this.o.payloadCapBytes ?? DEFAULT_PAYLOAD_CAP_BYTES);
  }

  /** Publishes a new schedule; `ScheduleExistsError` when the name is taken and `replace` is not set. */
  async create(input: ScheduleInput, opts: { readonly replace?: boolean } = {}): Promise<Schedule> {
    const schedule = this.build(input);
    if (!opts.replace && (await this.get(schedule.name)) !== null)
      throw new ScheduleExistsError(schedule.name);
    await this.write(schedule);
    return schedule;
  }

  /** Every schedule, by name. */
  async list(): Promise<Schedule[]> {
    const all = await this.readAll();
    return [...all.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<Schedule | null> {
    return (await this.readAll()).get(name) ?? null;
  }

  /** The last fired tick per schedule name (from `<prefix>.schedule-ticks`). */
  async lastTicks(): Promise<Map<string, ScheduleTick>> {
    await this.o.ready?.();
    const ticks = new Map<string, ScheduleTick>();
    await scanTopic(this.o.kafka, this.o.topics.scheduleTicks, async (r) => {
      if (r.key === null) return;
      const name = r.key.toString('utf8');
      if (r.value === null) ticks.delete(name);
      else ticks.set(name, await this.codecs.tick.decodeAsync(r.value));
    });
    return ticks;
  }

  /** Stops firing; `ScheduleNotFoundError` for an unknown name. Pausing a paused schedule is a no-op. */
  pause(name: string): Promise<Schedule> {
    return this.change(name, (s, now) => (s.paused ? s : { ...s, paused: true, updatedAtMs: now }));
  }

  /** Fires again from the next tick on: ticks that fell during the pause never fire. */
  resume(name: string): Promise<Schedule> {
    return this.change(name, (s, now) =>
      s.paused ? { ...s, paused: false, activeSinceMs: now, updatedAtMs: now } : s,
    );
  }

  /** Writes tombstones for the schedule and its tick; resolves false when it did not exist. */
  async delete(name: string): Promise<boolean> {
    const existed = (await this.get(name)) !== null;
    if (!existed) return false;
    await this.o.producer.send(this.o.topics.schedules, [{ key: name, value: null }]);
    await this.o.producer.send(this.o.topics.scheduleTicks, [{ key: name, value: null }]);
    return true;
  }

  private async change(name: string, fn: (s: Schedule, nowMs: number) => Schedule): Promise<Schedule> {
    const current = await this.get(name);
    if (current === null) throw new ScheduleNotFoundError(name);
    const next = fn(current, this.now());
    if (next !== current) await this.write(next);
    return next;
  }

  private async write(schedule: Schedule): Promise<void> {
    await this.o.ready?.();
    await this.o.producer.send(this.o.topics.schedules, [
      { key: schedule.name, value: this.codecs.schedule.encode(schedule) },
    ]);
  }

  private async readAll(): Promise<Map<string, Schedule>> {
    await this.o.ready?.();
    const all = new Map<string, Schedule>();
    await scanTopic(this.o.kafka, this.o.topics.schedules, async (r) => {
      if (r.key === null) return;
      const name = r.key.toString('utf8');
      if (r.value === null) all.delete(name);
      else all.set(name, await this.codecs.schedule.decodeAsync(r.value));
    });
    return all;
  }
}
