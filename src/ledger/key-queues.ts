/**
 * Per-key FIFO queues: items sharing a key run one at a time in arrival (offset) order, items of
 * different keys run in parallel. Contract: `enqueue` returns true when the item may start now;
 * `complete(key)` must be called once per started item and returns the next item of that key.
 */
export class KeyQueues<T> {
  private readonly queues = new Map<string, T[]>();

  /** Adds an item; true when it is now at the head (no earlier item of its key is unfinished). */
  enqueue(key: string, item: T): boolean {
    const q = this.queues.get(key);
    if (q) {
      q.push(item);
      return false;
    }
    this.queues.set(key, [item]);
    return true;
  }

  /** Removes the head of `key`'s queue and returns the next item to start, if any. */
  complete(key: string): T | undefined {
    const q = this.queues.get(key);
    if (!q) return undefined;
    q.shift();
    if (q.length === 0) {
      this.queues.delete(key);
      return undefined;
    }
    return q[0];
  }

  /**
   * Removes waiting (non-head) items matching `drop`, e.g. those of a revoked partition; heads
   * stay because they are running and will call `complete`. Returns the removed items.
   */
  removeWaiting(drop: (item: T) => boolean): T[] {
    const removed: T[] = [];
    for (const q of this.queues.values()) {
      for (let i = q.length - 1; i >= 1; i--) {
        if (drop(q[i] as T)) removed.push(...q.splice(i, 1));
      }
    }
    return removed;
  }

  /** Items held (running heads and waiting ones). */
  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }
}
