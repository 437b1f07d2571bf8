import type { TaskEvent } from '../domain/task-event.js';
import { decideTicks } from './missed-ticks.js';
import { type Schedule, type ScheduleTick, taskForTick } from './schedule.js';
import { type Timetable, timetableOf } from './schedule-timetable.js';

/** What the firer needs from Kafka; the worker wires real adapters, unit tests fakes. */
export interface ScheduleFirerPorts {
  /** Publishes a fired task to the tasks topic; resolves once Kafka acknowledged it. */
  publishTask(event: TaskEvent): Promise<void>;
  /** The last fired tick per schedule name, read to the end of the ticks topic. */
  loadTicks(): Promise<ReadonlyMap<string, number>>;
  /** Remembers a fired tick on the ticks topic; resolves once acknowledged. */
  recordTick(tick: ScheduleTick): Promise<void>;
  /**
   * Whether this member's group session was proven alive recently enough that the coordinator
   * cannot have handed the schedules partition to another member.
   */
  stillOwner(): boolean;
}

export interface ScheduleFirerOptions {
  readonly ports: ScheduleFirerPorts;
  readonly workerId: string;
  /** A due tick fired within this long after its time is on time (for `SKIP`). Default 10 s. */
  readonly lateToleranceMs?: number;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

/**
 * IDLE: not the owner of the schedules partition (or rebalancing). LOADING: owner, reading the last
 * fired ticks and the schedules up to the end of their topic. FIRING: owner with the full picture.
 * STOPPED: after `stop()`, for good.
 */
export type FirerState = 'IDLE' | 'LOADING' | 'FIRING' | 'STOPPED';

interface Entry {
  readonly schedule: Schedule;
  readonly timetable: Timetable;
}

/**
 * The scheduler's state machine: fed ownership changes and schedule records by the schedules
 * consumer, it fires due ticks while it is the owner (`fireDue`). Contract: fires nothing unless
 * FIRING, i.e. after the last fired ticks were loaded and every schedule record up to the end of
 * the topic at ownership was applied, and only while `stillOwner()`; each fired tick is published
 * as a task with the deterministic id `sched:<name>:<tickMs>` before it is recorded, so a crash
 * between the two re-fires the same id. Ownership changes take effect between publishes: a fire
 * in progress completes.
 */
export class ScheduleFirer {
  private stateValue: FirerState = 'IDLE';
  /** Bumped on every ownership change: work started under an older generation stops. */
  private generation = 0;
  private readonly book = new Map<string, Entry>();
  /** Per schedule: every tick at or before this is fired or skipped. Survives ownership changes. */
  private readonly handled = new Map<string, number>();
  private ticksLoaded = false;
  private recordsCaughtUp = false;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly lateToleranceMs: number;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly o: ScheduleFirerOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => undefined);
    this.lateToleranceMs = o.lateToleranceMs ?? 10_000;
  }

  get state(): FirerState {
    return this.stateValue;
  }

  /** Schedules currently known (owner only). */
  get scheduleCount(): number {
    return this.book.size;
  }

  /** Called on every state or schedule change (the loop wakes up to recompute its sleep). */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  /**
   * This member was assigned the schedules partition: forget the schedules (they are read again
   * from the start of the topic) and load the last fired ticks. Resolves once loaded (retrying
   * every `retryMs` until then, or until ownership changes again).
   */
  async ownershipGained(retryMs = 1000): Promise<void> {
    if (this.stateValue === 'STOPPED') return;
    const generation = this.enter('LOADING');
    this.book.clear();
    this.ticksLoaded = false;
    this.recordsCaughtUp = false;
    this.log(`schedules: this worker is the scheduler now (generation ${generation}); loading state`);
    while (this.generation === generation) {
      try {
        const ticks = await this.o.ports.loadTicks();
        if (this.generation !== generation) return;
        for (const [name, tickMs] of ticks)
          this.handled.set(name, Math.max(tickMs, this.handled.get(name) ?? 0));
        this.ticksLoaded = true;
        this.maybeFiring();
        return;
      } catch (err) {
        this.log(`schedules: cannot load fired ticks (${(err as Error).message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  }

  /** This member lost (or may be losing, during a rebalance) the schedules partition. */
  ownershipLost(): void {
    if (this.stateValue === 'STOPPED' || this.stateValue === 'IDLE') return;
    this.enter('IDLE');
    this.book.clear();
    this.log('schedules: no longer the scheduler');
  }

  /** Every schedule record up to the end of the topic at ownership has been applied. */
  recordsCaughtUpNow(): void {
    if (this.stateValue !== 'LOADING') return;
    this.recordsCaughtUp = true;
    this.maybeFiring();
  }

  /**
   * Applies one record of the schedules topic: a schedule (replacing any of that name) or a
   * tombstone (`null`) deleting `name`.
   */
  apply(name: string, schedule: Schedule | null): void {
    if (this.stateValue !== 'LOADING' && this.stateValue !== 'FIRING') return;
    if (schedule === null) {
      this.book.delete(name);
    } else {
      this.book.set(name, { schedule, timetable: timetableOf(schedule) });
    }
    this.changed();
  }

  stop(): void {
    this.enter('STOPPED');
    this.book.clear();
  }

  /**
   * Fires every due tick of every active schedule (`decideTicks` per schedule) and returns the
   * epoch ms of the next tick to come (null: nothing scheduled, or not FIRING). Must not be
   * called concurrently with itself. A failed publish is logged and left due: the next pass
   * tries the same tick (same task id) again.
   */
  async fireDue(): Promise<number | null> {
    const generation = this.generation;
    if (this.stateValue !== 'FIRING') return null;
    for (const entry of [...this.book.values()]) {
      if (entry.schedule.paused) continue;
      if (!(await this.fireSchedule(entry, generation))) break;
    }
    return this.nextTickMs();
  }

  /** The earliest upcoming tick over active schedules, or null. */
  nextTickMs(): number | null {
    if (this.stateValue !== 'FIRING') return null;
    let next: number | null = null;
    for (const { schedule, timetable } of this.book.values()) {
      if (schedule.paused) continue;
      const t = timetable.nextAfter(this.handledThrough(schedule));
      if (t !== null && (next === null || t < next)) next = t;
    }
    return next;
  }

  /** Fires `entry`'s due ticks; false when firing must stop for this pass (ownership, failure). */
  private async fireSchedule(entry: Entry, generation: number): Promise<boolean> {
    const { schedule, timetable } = entry;
    const nowMs = this.now();
    const decision = decideTicks({
      timetable,
      policy: schedule.missedTicks,
      handledThroughMs: this.handledThrough(schedule),
      nowMs,
      lateToleranceMs: this.lateToleranceMs,
    });
    if (decision.skipped > 0) {
      this.log(
        `schedules: ${schedule.name}: ${decision.skipped} missed tick(s) skipped (policy ${schedule.missedTicks})`,
      );
    }
    for (const tickMs of decision.fire) {
      if (this.generation !== generation || !this.o.ports.stillOwner()) return false;
      const event = taskForTick(schedule, tickMs, this.now());
      try {
        await this.o.ports.publishTask(event);
      } catch (err) {
        this.log(
          `schedules: ${schedule.name}: publishing ${event.id} failed (${(err as Error).message}); will retry`,
        );
        return false;
      }
      this.handled.set(schedule.name, tickMs);
      const tick = {
        name: schedule.name,
        tickMs,
        taskId: event.id,
        firedAtMs: this.now(),
        workerId: this.o.workerId,
      };
      await this.o.ports.recordTick(tick).catch((err: unknown) => {
        // The task is out; a later owner that misses this record fires the same id again.
        this.log(`schedules: ${schedule.name}: recording tick ${tickMs} failed (${(err as Error).message})`);
      });
    }
    if (decision.fire.length === 0 && this.generation === generation)
      this.handled.set(
        schedule.name,
        Math.max(decision.handledThroughMs, this.handled.get(schedule.name) ?? 0),
      );
    return true;
  }

  private handledThrough(s: Schedule): number {
    return Math.max(this.handled.get(s.name) ?? Number.NEGATIVE_INFINITY, s.activeSinceMs);
  }

  private maybeFiring(): void {
    if (this.stateValue === 'LOADING' && this.ticksLoaded && this.recordsCaughtUp) {
      this.stateValue = 'FIRING';
      this.log(`schedules: firing ${this.book.size} schedule(s)`);
      this.changed();
    }
  }

  private enter(state: FirerState): number {
    this.stateValue = state;
    this.generation += 1;
    this.changed();
    return this.generation;
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
