/**
 * Which workers are alive, from the WorkerStats they publish on berth.metrics. Contract: this
 * worker is always alive; another worker is dead when its last report is older than `deadAfterMs`,
 * or when it never reported although we have been listening for `deadAfterMs` (its containers
 * are then leftovers of a crashed run). A report with state STOPPED marks it dead at once.
 */
export class WorkerLiveness {
  private readonly lastSeen = new Map<string, number>();
  private readonly startedAtMs: number;

  constructor(
    private readonly selfId: string,
    private readonly deadAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAtMs = now();
  }

  /** Records a heartbeat (reportedAtMs is ignored in favour of our own clock: no skew). */
  seen(workerId: string, stopped = false): void {
    if (stopped) this.lastSeen.set(workerId, Number.NEGATIVE_INFINITY);
    else this.lastSeen.set(workerId, this.now());
  }

  isAlive(workerId: string): boolean {
    if (workerId === this.selfId) return true;
    const t = this.lastSeen.get(workerId);
    if (t === undefined) return this.now() - this.startedAtMs < this.deadAfterMs;
    return this.now() - t < this.deadAfterMs;
  }
}
