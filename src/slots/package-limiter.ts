import type { CancelSignal } from '../domain/task-cancel.js';
/**
 * Per-code-package concurrency on one worker (a manifest's `maxConcurrency`). Contract: at most
 * `max` holders per name at once (0 = unlimited); waiters are served in arrival order; aborting a
 * waiter's signal removes it and rejects with the signal's reason.
 */
export class PackageLimiter {
  private readonly running = new Map<string, number>();
  private readonly waiters = new Map<string, (() => void)[]>();

  async acquire(name: string, max: number, signal?: CancelSignal): Promise<() => void> {
    if (max > 0 && (this.running.get(name) ?? 0) >= max) await this.wait(name, signal);
    this.running.set(name, (this.running.get(name) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.running.get(name) ?? 1) - 1;
      if (n === 0) this.running.delete(name);
      else this.running.set(name, n);
      this.waiters.get(name)?.shift()?.();
    };
  }

  runningOf(name: string): number {
    return this.running.get(name) ?? 0;
  }

  private wait(name: string, signal?: CancelSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const list = this.waiters.get(name) ?? [];
      this.waiters.set(name, list);
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = list.indexOf(wake);
        if (i >= 0) list.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      list.push(wake);
    });
  }
}
