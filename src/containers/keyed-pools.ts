/** What `KeyedPools` needs of a pool: how many containers it holds, and how to close it. */
export interface ClosablePool {
  readonly size: number;
  /** Discards idle containers; busy ones go when their work ends. */
  close(): void;
}

/**
 * Long-lived container pools by key (a package revision), shared by the HOT process and function
 * executors. Contract: `get` creates a key's pool once; `close` closes every pool and waits up to
 * `closeWaitMs` for their busy containers to go.
 */
export class KeyedPools<P extends ClosablePool> {
  private readonly pools = new Map<string, P>();

  get(key: string, make: () => P): P {
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = make();
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Live containers per key (idle, busy or starting). */
  containerCounts(): Readonly<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [key, pool] of this.pools) if (pool.size > 0) counts[key] = pool.size;
    return counts;
  }

  async close(closeWaitMs: number): Promise<void> {
    for (const pool of this.pools.values()) pool.close();
    const deadline = Date.now() + closeWaitMs;
    while ([...this.pools.values()].some((p) => p.size > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
