import { InfraError } from '../domain/infra-error.js';
import type { CancelSignal } from '../domain/task-cancel.js';
import type { HotSession } from './hot-session.js';

export interface HotPoolDeps {
  /** Creates and starts a container; resolves once its launcher is ready. */
  readonly open: () => Promise<HotSession>;
  /** Closes the session and removes its container (in the background). */
  readonly discard: (session: HotSession) => void;
  readonly maxContainers: number;
  /** An idle container is removed after this long without a task. */
  readonly idleMs: number;
}

/**
 * The long-lived containers of one package revision. Contract: at most `maxContainers` exist at
 * any time (idle, busy, cleaning up or being created); each serves one task at a time. `acquire`
 * hands out an idle container (the most recently used one first), creates one while under the
 * cap, or waits for one; it resolves null when `signal` aborts first and rejects with
 * `InfraError` when creating failed or the pool is closed. Every acquired container must go
 * back through `release`: a reusable one becomes idle again once its launcher is ready, anything
 * else is discarded and frees its place.
 */
export class HotPool {
  private readonly idle: HotSession[] = [];
  private readonly idleTimers = new Map<HotSession, NodeJS.Timeout>();
  private readonly waiters: (() => void)[] = [];
  private total = 0;
  private closed = false;

  constructor(private readonly d: HotPoolDeps) {}

  /** Containers of this pool that exist now (idle, busy, cleaning up or being created). */
  get size(): number {
    return this.total;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  async acquire(signal: CancelSignal): Promise<HotSession | null> {
    for (;;) {
      if (this.closed) throw new InfraError('hot pool is closed', { retriable: true, component: 'docker' });
      if (signal.aborted) return null;
      const session = this.takeIdle();
      if (session !== null) return session;
      if (this.total < this.d.maxContainers) return this.openOne();
      if (!(await this.waitForChange(signal))) return null;
    }
  }

  /** Gives a container back; `reusable` false (or a dead container) discards it. */
  release(session: HotSession, reusable: boolean): void {
    if (!reusable || this.closed || !session.alive) {
      this.drop(session);
      return;
    }
    void session.idleAgain().then((ok) => {
      if (!ok || this.closed) return this.drop(session);
      this.idle.push(session);
      this.armIdleTimer(session);
      this.wakeOne();
    });
  }

  /** Discards the idle containers and wakes every waiter (they reject); busy ones go on release. */
  close(): void {
    this.closed = true;
    for (const s of this.idle.splice(0)) this.drop(s);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async openOne(): Promise<HotSession> {
    this.total++;
    let session: HotSession;
    try {
      session = await this.d.open();
    } catch (err) {
      this.total--;
      this.wakeOne();
      throw err;
    }
    if (this.closed) {
      this.drop(session);
      throw new InfraError('hot pool is closed', { retriable: true, component: 'docker' });
    }
    return session;
  }

  private takeIdle(): HotSession | null {
    for (let s = this.idle.pop(); s !== undefined; s = this.idle.pop()) {
      this.clearIdleTimer(s);
      if (s.alive && s.idle) return s;
      this.drop(s);
    }
    return null;
  }

  private drop(session: HotSession): void {
    this.clearIdleTimer(session);
    const at = this.idle.indexOf(session);
    if (at !== -1) this.idle.splice(at, 1);
    this.d.discard(session);
    this.total--;
    this.wakeOne();
  }

  private armIdleTimer(session: HotSession): void {
    const timer = setTimeout(() => this.drop(session), this.d.idleMs);
    timer.unref();
    this.idleTimers.set(session, timer);
  }

  private clearIdleTimer(session: HotSession): void {
    clearTimeout(this.idleTimers.get(session));
    this.idleTimers.delete(session);
  }

  private wakeOne(): void {
    this.waiters.shift()?.();
  }

  /** Resolves true when a container may have become available, false when `signal` aborted. */
  private waitForChange(signal: CancelSignal): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const onAbort = () => {
        settled = true;
        const at = this.waiters.indexOf(wake);
        if (at !== -1) this.waiters.splice(at, 1);
        resolve(false);
      };
      const wake = () => {
        if (settled) return this.wakeOne(); // pass the wake-up on
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      };
      this.waiters.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
