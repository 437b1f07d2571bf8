/**
 * The bound on tasks held in memory (running + waiting), shared by every source the worker
 * consumes (berth.tasks and berth.retry): slots + prefetch, whatever the backlog.
 */
export class IntakeRoom {
  private heldCount = 0;
  private readonly listeners: (() => void)[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
  }

  get held(): number {
    return this.heldCount;
  }

  get hasRoom(): boolean {
    return this.heldCount < this.capacity;
  }

  take(): void {
    if (!this.hasRoom) throw new Error('IntakeRoom.take without room');
    this.heldCount++;
  }

  /** Gives back `n` places and tells listeners (who resume paused partitions). */
  give(n = 1): void {
    if (n <= 0) return;
    this.heldCount = Math.max(0, this.heldCount - n);
    for (const l of this.listeners) l();
  }

  onRoom(listener: () => void): void {
    this.listeners.push(listener);
  }
}
