import type { PriorityLane } from '../domain/priority-lane.js';

/**
 * The bound on tasks held in memory (running + waiting), shared by every source the worker
 * consumes (the tasks and retry topics of every lane): slots + prefetch, whatever the backlog.
 *
 * Contract: normal and low work together never hold more than `capacity` places; high work may
 * use `highReserve` places beyond it, so a room full of normal and low work still admits high
 * work at once (it then takes the next free slot). The total never exceeds
 * `capacity + highReserve`.
 */
export class IntakeRoom {
  private heldCount = 0;
  private heldHigh = 0;
  private readonly takenCount: Record<PriorityLane, number> = { high: 0, normal: 0, low: 0 };
  private readonly listeners: (() => void)[] = [];

  constructor(
    readonly capacity: number,
    readonly highReserve = 0,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    if (!Number.isInteger(highReserve) || highReserve < 0)
      throw new RangeError('highReserve must be a non-negative integer');
  }

  get held(): number {
    return this.heldCount;
  }

  /** Whether normal work could be taken (the room without the high reserve has a place). */
  get hasRoom(): boolean {
    return this.hasRoomFor('normal');
  }

  /** Whether a task of `lane` could be taken now. */
  hasRoomFor(lane: PriorityLane): boolean {
    if (this.heldCount >= this.capacity + this.highReserve) return false;
    return lane === 'high' || this.heldCount - this.heldHigh < this.capacity;
  }

  take(lane: PriorityLane = 'normal'): void {
    if (!this.hasRoomFor(lane)) throw new Error(`IntakeRoom.take without room for ${lane} work`);
    this.heldCount++;
    if (lane === 'high') this.heldHigh++;
    this.takenCount[lane]++;
  }

  /** Places taken by `lane` since the start (a counter: the lane arbiter compares readings). */
  taken(lane: PriorityLane): number {
    return this.takenCount[lane];
  }

  /** Gives back `n` places of `lane` and tells listeners (who resume paused partitions). */
  give(n = 1, lane: PriorityLane = 'normal'): void {
    if (n <= 0) return;
    this.heldCount = Math.max(0, this.heldCount - n);
    if (lane === 'high') this.heldHigh = Math.max(0, this.heldHigh - n);
    for (const l of this.listeners) l();
  }

  onRoom(listener: () => void): void {
    this.listeners.push(listener);
  }
}
