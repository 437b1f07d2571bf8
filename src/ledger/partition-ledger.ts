/**
 * Offsets of one assigned partition: which were consumed, which are finished, which wait for
 * their not-before time. Contract: the committable offset is the lowest consumed-but-unfinished
 * or waiting offset, or the highest seen + 1 when everything is finished (Kafka's "next offset to
 * read"); "finished" means the task's result (or retry/DLQ record) was acknowledged by Kafka, so
 * committing it never loses a task. A waiting offset (a berth.retry record not due yet, passed
 * by due records behind it) holds the commit back but is not in flight: it starts later through
 * `consumed`, which hands it out exactly once.
 */
export class PartitionLedger {
  /** Consumed, unfinished offsets and when each was consumed (epoch ms). */
  private readonly unfinished = new Map<bigint, number>();
  /** Offsets seen but not due yet (deferred), not started. */
  private readonly waiting = new Set<bigint>();
  private next: bigint | null = null;
  private lastCommitted: bigint | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** Distinguishes this ownership of the partition from earlier ones. */
    readonly epoch: number,
  ) {}

  /** Records a consumed offset; false when it was already seen (a re-delivery after rejoin). */
  consumed(offset: bigint, atMs = Date.now()): boolean {
    if (this.waiting.delete(offset)) {
      this.unfinished.set(offset, atMs);
      return true;
    }
    if (this.next !== null && offset < this.next) return false;
    this.unfinished.set(offset, atMs);
    this.next = offset + 1n;
    return true;
  }

  /**
   * Records an offset that is not due yet (or passed over behind one): it holds the commit back
   * until it started and finished. False when the offset was already started (a re-delivery of a
   * record in hand). Must be called in offset order relative to `consumed` of later offsets,
   * as the intake buffer does.
   */
  deferred(offset: bigint): boolean {
    if (this.waiting.has(offset)) return true;
    if (this.next !== null && offset < this.next) return false;
    this.waiting.add(offset);
    this.next = offset + 1n;
    return true;
  }

  /** Offsets waiting for their not-before time. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Marks an offset finished; false when it was not in flight. */
  finished(offset: bigint): boolean {
    return this.unfinished.delete(offset);
  }

  get inFlight(): number {
    return this.unfinished.size;
  }

  /** Next offset to commit, or null when nothing was consumed yet. */
  committable(): bigint | null {
    let lowest: bigint | null = null;
    for (const o of this.unfinished.keys()) if (lowest === null || o < lowest) lowest = o;
    for (const o of this.waiting) if (lowest === null || o < lowest) lowest = o;
    return lowest ?? this.next;
  }

  /** The committable offset when it moved past the last commit, else null. */
  commitDue(): bigint | null {
    const c = this.committable();
    if (c === null || (this.lastCommitted !== null && c <= this.lastCommitted)) return null;
    return c;
  }

  /**
   * Milliseconds since the oldest consumed-but-unfinished offset was consumed: how long the
   * partition's commit has been held back by it (0 when nothing is unfinished).
   */
  oldestUnfinishedAgeMs(nowMs: number): number {
    let oldest = nowMs;
    for (const at of this.unfinished.values()) if (at < oldest) oldest = at;
    return nowMs - oldest;
  }

  markCommitted(offset: bigint): void {
    if (this.lastCommitted === null || offset > this.lastCommitted) this.lastCommitted = offset;
  }
}
