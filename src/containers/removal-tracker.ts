import { withRetry } from '../resilience/retry.js';
import type { DockerEnginePort } from './docker-engine-port.js';

/**
 * Removes containers in the background and remembers the removals still running, so shutdown
 * can wait for them. Contract: `remove` never throws; a removal that still fails after a few
 * retries is reported through `onError` and kept as a leftover, tried again after the next
 * successful removal (the engine is back) and once more by `drain`. `drain` resolves when every
 * removal started so far settled.
 */
export class RemovalTracker {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly leftovers = new Set<string>();

  constructor(
    private readonly engine: DockerEnginePort,
    private readonly onError: (err: unknown, containerId: string) => void,
  ) {}

  remove(containerId: string): void {
    this.leftovers.delete(containerId);
    this.track(
      withRetry(() => this.engine.remove(containerId), {
        attempts: 4,
        baseDelayMs: 200,
        maxDelayMs: 2000,
      }).then(
        () => this.retryLeftovers(),
        (err: unknown) => {
          this.leftovers.add(containerId);
          this.onError(err, containerId);
        },
      ),
    );
  }

  /** Makes `drain` also wait for `work`, background work that ends in `remove` calls. */
  track(work: Promise<unknown>): void {
    const settled = work.then(
      () => {},
      () => {},
    );
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /** Containers whose removal failed and will be tried again. */
  get leftoverIds(): readonly string[] {
    return [...this.leftovers];
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const last = [...this.leftovers];
    this.leftovers.clear();
    await Promise.allSettled(last.map((id) => this.engine.remove(id)));
  }

  private retryLeftovers(): void {
    for (const id of [...this.leftovers]) this.remove(id);
  }
}
