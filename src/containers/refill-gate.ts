/**
 * Lets one background container create through at a time across all warm pools. The engine
 * serializes creates and starts anyway; queuing refills here keeps several pools from piling
 * requests onto the engine at once, so a task's cold create (which does not pass through the
 * gate) waits behind at most one refill. Contract: `run` calls run in arrival order, one after
 * another; a failing call does not block the ones after it.
 */
export class RefillGate {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => {});
    return result;
  }
}
