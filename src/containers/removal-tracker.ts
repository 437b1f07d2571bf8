import { withRetry } from '../resilience/retry.js';
import type { DockerEnginePort } from './docker-engine-port.js';

/**
 * Removes containers in the background and remembers the removals still running, so shutdown
 * can wait for them. Contract: `remove` never throws (a failed removal is reported through
 * `onError` and left to the reaper); `drain` resolves when every removal started so far settled.
 */
export class RemovalTracker {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly engine: DockerEnginePort,
    private readonly onError: (err: unknown, containerId: string) => void,
  ) {}

  remove(containerId: string): void {
    this.track(
      withRetry(() => this.engine.remove(containerId), {
        attempts: 4,
        baseDelayMs: 200,
        maxDelayMs: 2000,
      }).catch((err: unknown) => this.onError(err, containerId)),
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

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
