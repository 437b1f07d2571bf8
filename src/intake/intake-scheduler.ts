import type { PriorityLane } from '../domain/priority-lane.js';
import type { InFlightLedger } from '../ledger/in-flight-ledger.js';
import { KeyQueues } from '../ledger/key-queues.js';
import type { ConsumedRecord, OfferDecision, RecordSink } from './consumed-record.js';
import type { HeldTask } from './held-task.js';
import type { IntakeRoom } from './intake-room.js';

export interface IntakeSchedulerOptions {
  readonly ledger: InFlightLedger;
  /** The bound on held tasks (running + waiting), shared with the worker's other sources. */
  readonly room: IntakeRoom;
  /** The priority lane of this source's topic (default `normal`); the room is shared per lane. */
  readonly lane?: PriorityLane;
  /** Starts a task; must eventually call `finish(task, acked)` exactly once. */
  readonly start: (task: HeldTask) => void;
  /** Epoch ms before which a record must not run (berth.retry's header), or null. */
  readonly notBeforeMs?: (record: ConsumedRecord) => number | null;
  readonly now?: () => number;
  /** Monotonic ms with sub-ms resolution (default `performance.now`), stamped as `consumedAtTick`. */
  readonly tick?: () => number;
}

const FULL: OfferDecision = Object.freeze({ kind: 'full' });
const ACCEPTED: OfferDecision = Object.freeze({ kind: 'accepted' });

function queueKeyOf(r: ConsumedRecord): string {
  const k = r.key;
  // A view of the key's bytes (no copy) for the encoding.
  const key =
    k === null ? `@${r.offset}` : `=${Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('base64')}`;
  return `${r.topic}/${r.partition}/${key}`;
}

/**
 * Pure intake logic shared by every source topic. Contract: never holds more than `capacity`
 * tasks whatever the backlog; records of one partition with the same key start one at a time in
 * offset order, others start as soon as they are offered; an offset counts as finished in the
 * ledger only when `finish(task, true)` says its outcome was acknowledged.
 */
export class IntakeScheduler implements RecordSink {
  private readonly queues = new KeyQueues<HeldTask>();
  private held = 0;
  private closed = false;
  private readonly now: () => number;
  private readonly tick: () => number;
  readonly lane: PriorityLane;

  constructor(private readonly opts: IntakeSchedulerOptions) {
    this.now = opts.now ?? Date.now;
    this.tick = opts.tick ?? performance.now.bind(performance);
    this.lane = opts.lane ?? 'normal';
  }

  /** Tasks of this source held now (running + waiting). */
  get heldTasks(): number {
    return this.held;
  }

  get hasRoom(): boolean {
    return !this.closed && this.opts.room.hasRoomFor(this.lane);
  }

  offer(record: ConsumedRecord): OfferDecision {
    if (!this.hasRoom) return FULL;
    const due = this.opts.notBeforeMs?.(record) ?? null;
    if (due !== null && due > this.now()) {
      // The ledger holds the commit back at a waiting offset, so due records taken from behind
      // it never move the commit past it; a re-delivery of a record already started is dropped.
      const fresh = this.opts.ledger.deferred(record.topic, record.partition, BigInt(record.offset));
      return fresh ? { kind: 'defer', untilMs: due } : ACCEPTED;
    }
    const ticket = this.opts.ledger.consumed(
      record.topic,
      record.partition,
      BigInt(record.offset),
      this.now(),
    );
    if (!ticket) return ACCEPTED;
    const task: HeldTask = {
      record,
      ticket,
      queueKey: queueKeyOf(record),
      consumedAtMs: this.now(),
      consumedAtTick: this.tick(),
    };
    this.held++;
    this.opts.room.take(this.lane);
    if (this.queues.enqueue(task.queueKey, task)) this.opts.start(task);
    return ACCEPTED;
  }

  /** A record passed over behind a waiting one: the ledger keeps its offset as waiting. */
  hold(record: ConsumedRecord): void {
    this.opts.ledger.deferred(record.topic, record.partition, BigInt(record.offset));
  }

  assigned(topic: string, partitions: readonly number[]): void {
    const revoked = new Set(this.opts.ledger.retainOnly(topic, partitions));
    if (revoked.size === 0) return;
    // Waiting tasks of a revoked partition belong to its new owner now: forget them unrun.
    const dropped = this.queues.removeWaiting(
      (t) => t.record.topic === topic && revoked.has(t.record.partition),
    );
    this.held -= dropped.length;
    this.opts.room.give(dropped.length, this.lane);
  }

  /**
   * Ends a started task. `acked`: its outcome records are acknowledged, so its offset is finished;
   * false (shutdown, revoked) leaves the offset uncommitted for re-delivery.
   */
  finish(task: HeldTask, acked: boolean): void {
    if (acked) this.opts.ledger.finished(task.ticket);
    this.held--;
    const next = this.queues.complete(task.queueKey);
    // After close() no task waits behind a head, so `next` only exists while open.
    if (next) this.opts.start(next);
    this.opts.room.give(1, this.lane);
  }

  /** Stops starting tasks (drain): waiting tasks are dropped unrun, offered records refused. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const dropped = this.queues.removeWaiting(() => true);
    this.held -= dropped.length;
    this.opts.room.give(dropped.length, this.lane);
  }
}
