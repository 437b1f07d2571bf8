import { InfraError } from '../domain/infra-error.js';
import type { CancelSignal } from '../domain/task-cancel.js';
import { type FunctionSession, HandlerLoadError } from './function-session.js';

export interface FunctionPoolDeps {
  /** Creates a container and resolves once its handler is loaded. */
  readonly open: () => Promise<FunctionSession>;
  /** Closes the session and removes its container (in the background). */
  readonly discard: (session: FunctionSession) => void;
  readonly maxContainers: number;
  /** Calls queued on one container at most (the running one included): the pipeline depth. */
  readonly depth: number;
  /** A container without calls for this long is removed. */
  readonly idleMs: number;
  /** How long a load failure is remembered (answers tasks at once instead of a container each). */
  readonly loadErrorMemoryMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * The function-mode containers of one package revision. Contract: at most `maxContainers` exist
 * (serving or being created), each with at most `depth` calls in flight. `acquire` returns the
 * least busy serving container with a free seat — the caller must hand it a call at once (that
 * takes the seat) and call `release` when the call ended; another container is started in the
 * background while every container is busy; with no seat free it waits. It resolves null when
 * `signal` aborts, rejects with `HandlerLoadError` when the package's handler cannot be loaded
 * (remembered for `loadErrorMemoryMs`), with `InfraError` when the pool is closed or a container
 * it waited for could not start.
 */
export class FunctionPool {
  private readonly sessions = new Set<FunctionSession>();
  private readonly waiters: (() => void)[] = [];
  private readonly idleTimers = new Map<FunctionSession, NodeJS.Timeout>();
  private opening = 0;
  private closed = false;
  private loadError: { readonly err: HandlerLoadError; readonly atMs: number } | null = null;

  constructor(private readonly d: FunctionPoolDeps) {}

  /** Containers that exist now (serving or being created). */
  get size(): number {
    return this.sessions.size + this.opening;
  }

  async acquire(signal: CancelSignal): Promise<FunctionSession | null> {
    for (;;) {
      if (this.closed)
        throw new InfraError('function pool is closed', { retriable: true, component: 'docker' });
      if (signal.aborted) return null;
      this.throwRememberedLoadError();
      const best = this.leastBusy();
      if (best !== null && best.inFlight < this.d.depth) {
        if (best.inFlight > 0) this.growInBackground();
        this.clearIdle(best);
        return best;
      }
      if (this.size < this.d.maxContainers) {
        const opened = await this.openOne();
        if (opened.inFlight < this.d.depth) return opened;
        continue;
      }
      if (!(await this.waitForSeat(signal))) return null;
    }
  }

  /** A call on `session` ended; a dead session is discarded. */
  release(session: FunctionSession): void {
    if (!session.alive || this.closed) this.drop(session);
    else if (session.inFlight === 0) this.armIdle(session);
    this.wake(1);
  }

  /** Discards idle containers; busy ones go when their calls end. */
  close(): void {
    this.closed = true;
    for (const s of [...this.sessions]) if (s.inFlight === 0) this.drop(s);
    this.wakeAll();
  }

  private leastBusy(): FunctionSession | null {
    let best: FunctionSession | null = null;
    for (const s of this.sessions) {
      if (!s.alive) {
        this.drop(s);
        continue;
      }
      if (best === null || s.inFlight < best.inFlight) best = s;
    }
    return best;
  }

  private throwRememberedLoadError(): void {
    if (this.loadError === null) return;
    if (Date.now() - this.loadError.atMs < (this.d.loadErrorMemoryMs ?? 30_000)) throw this.loadError.err;
    this.loadError = null;
  }

  private growInBackground(): void {
    if (this.opening > 0 || this.size >= this.d.maxContainers) return;
    this.openOne().then(
      (s) => this.armIdle(s),
      (err: unknown) => this.d.log?.(`function container not started: ${(err as Error).message}`),
    );
  }

  private async openOne(): Promise<FunctionSession> {
    this.opening++;
    let session: FunctionSession;
    try {
      session = await this.d.open();
    } catch (err) {
      if (err instanceof HandlerLoadError) this.loadError = { err, atMs: Date.now() };
      throw err;
    } finally {
      this.opening--;
      this.wake(1);
    }
    if (this.closed) {
      this.d.discard(session);
      throw new InfraError('function pool is closed', { retriable: true, component: 'docker' });
    }
    this.sessions.add(session);
    this.wake(this.d.depth);
    return session;
  }

  private drop(session: FunctionSession): void {
    this.clearIdle(session);
    if (this.sessions.delete(session)) {
      this.d.discard(session);
      this.wake(1);
    }
  }

  private armIdle(session: FunctionSession): void {
    this.clearIdle(session);
    const timer = setTimeout(() => {
      this.idleTimers.delete(session);
      if (session.inFlight === 0) this.drop(session);
    }, this.d.idleMs);
    timer.unref();
    this.idleTimers.set(session, timer);
  }

  private clearIdle(session: FunctionSession): void {
    const t = this.idleTimers.get(session);
    if (t === undefined) return;
    clearTimeout(t);
    this.idleTimers.delete(session);
  }

  private wakeAll(): void {
    this.wake(this.waiters.length);
  }

  /** Wakes up to `n` waiters, oldest first. */
  private wake(n: number): void {
    for (const wake of this.waiters.splice(0, n)) wake();
  }

  /** Resolves true when a seat may have freed, false when `signal` aborted. */
  private waitForSeat(signal: CancelSignal): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const onAbort = () => {
        const at = this.waiters.indexOf(wake);
        if (at !== -1) this.waiters.splice(at, 1);
        resolve(false);
      };
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      };
      this.waiters.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
