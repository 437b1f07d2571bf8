import type { CancelSignal } from '../domain/task-cancel.js';
/** A granted slot; `release()` is idempotent. */
export interface SlotLease {
  readonly memoryBytes: number;
  release(): void;
}

export interface SlotPoolOptions {
  readonly slots: number;
  readonly memoryBudgetBytes: number;
  /**
   * How long the oldest highest-priority waiter may be overtaken by smaller waiters that fit
   * while it does not. After that nobody overtakes it, so a big task never starves.
   */
  readonly maxBypassMs?: number;
  /**
   * Grants in a row that may pass over the longest-waiting task (higher-priority waiters that
   * came later); the next grant goes to it if it fits. Default 9: it gets at least 1 in 10.
   */
  readonly maxPassOvers?: number;
  readonly now?: () => number;
}

interface Waiter {
  readonly memoryBytes: number;
  readonly priority: number;
  readonly seq: number;
  readonly enqueuedAtMs: number;
  readonly resolve: (lease: SlotLease) => void;
  readonly reject: (err: unknown) => void;
}

/** A request that can never be granted: it asks more memory than the whole budget. */
export class SlotRequestTooLarge extends Error {
  constructor(memoryBytes: number, budgetBytes: number) {
    super(
      `task asks ${memoryBytes} bytes of memory, more than the worker's whole budget of ${budgetBytes} bytes`,
    );
    this.name = 'SlotRequestTooLarge';
  }
}

/**
 * N slots and a memory budget. Contract: the sum of granted memory never exceeds the budget and
 * granted slots never exceed N; waiters are served by priority (higher first), then arrival order
 * — however long lower-priority waiters have waited, so a high task is the next to start once a
 * slot frees even behind a deep prefetch; the longest-waiting task is passed over at most
 * `maxPassOvers` grants in a row (no starvation); a waiter that does not fit may be overtaken by
 * smaller ones for at most `maxBypassMs`.
 */
export class SlotPool {
  readonly slots: number;
  readonly memoryBudgetBytes: number;
  private busy = 0;
  private memoryUsed = 0;
  private seq = 0;
  private readonly waiters: Waiter[] = [];
  private readonly maxBypassMs: number;
  private readonly maxPassOvers: number;
  /** Grants in a row that went to someone other than the longest-waiting waiter. */
  private passOvers = 0;
  private readonly now: () => number;

  constructor(opts: SlotPoolOptions) {
    if (!Number.isInteger(opts.slots) || opts.slots < 1)
      throw new RangeError('slots must be a positive integer');
    if (!(opts.memoryBudgetBytes > 0)) throw new RangeError('memoryBudgetBytes must be positive');
    this.slots = opts.slots;
    this.memoryBudgetBytes = opts.memoryBudgetBytes;
    this.maxBypassMs = opts.maxBypassMs ?? 5000;
    this.maxPassOvers = opts.maxPassOvers ?? 9;
    if (!Number.isInteger(this.maxPassOvers) || this.maxPassOvers < 1)
      throw new RangeError('maxPassOvers must be a positive integer');
    this.now = opts.now ?? Date.now;
  }

  get busySlots(): number {
    return this.busy;
  }

  get memoryUsedBytes(): number {
    return this.memoryUsed;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Whether a request of this size could be granted right now. */
  canFit(memoryBytes: number): boolean {
    return this.busy < this.slots && this.memoryUsed + memoryBytes <= this.memoryBudgetBytes;
  }

  /** Whether a request of this size can ever be granted. */
  fitsBudget(memoryBytes: number): boolean {
    return memoryBytes <= this.memoryBudgetBytes;
  }

  /**
   * Waits for a slot with `memoryBytes`. Rejects with `SlotRequestTooLarge` at once when it can
   * never fit, and with the signal's reason when `signal` aborts while waiting.
   */
  acquire(memoryBytes: number, priority = 0, signal?: CancelSignal): Promise<SlotLease> {
    if (!this.fitsBudget(memoryBytes))
      return Promise.reject(new SlotRequestTooLarge(memoryBytes, this.memoryBudgetBytes));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<SlotLease>((resolve, reject) => {
      const waiter: Waiter = {
        memoryBytes,
        priority,
        seq: this.seq++,
        enqueuedAtMs: this.now(),
        resolve,
        reject,
      };
      this.insert(waiter);
      if (signal) {
        const onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i < 0) return;
          this.waiters.splice(i, 1);
          reject(signal.reason);
          this.dispatch();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.dispatch();
    });
  }

  /** Re-examines waiters; call after time passes if bypass windows matter (also done on release). */
  dispatch(): void {
    const nowMs = this.now();
    while (this.waiters.length > 0 && this.busy < this.slots) {
      const oldest = this.longestWaiting();
      const i =
        this.passOvers >= this.maxPassOvers && this.fits(oldest as Waiter)
          ? this.waiters.indexOf(oldest as Waiter)
          : this.nextFitting(nowMs);
      if (i < 0) return;
      const [w] = this.waiters.splice(i, 1) as [Waiter];
      this.passOvers = w === oldest ? 0 : this.passOvers + 1;
      w.resolve(this.grant(w.memoryBytes));
    }
  }

  private fits(w: Waiter): boolean {
    return this.memoryUsed + w.memoryBytes <= this.memoryBudgetBytes;
  }

  /** The first waiter in priority order that fits, or -1 (also when a closed window blocks). */
  private nextFitting(nowMs: number): number {
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i] as Waiter;
      if (this.fits(w)) return i;
      // w does not fit: later waiters may overtake it only while its bypass window is open.
      if (nowMs - w.enqueuedAtMs >= this.maxBypassMs) return -1;
    }
    return -1;
  }

  private longestWaiting(): Waiter | undefined {
    let oldest: Waiter | undefined;
    for (const w of this.waiters) if (oldest === undefined || w.seq < oldest.seq) oldest = w;
    return oldest;
  }

  private insert(w: Waiter): void {
    let i = this.waiters.length;
    // Higher priority first, then arrival order; starvation is bounded by `maxPassOvers`.
    while (i > 0 && (this.waiters[i - 1] as Waiter).priority < w.priority) i--;
    this.waiters.splice(i, 0, w);
  }

  private grant(memoryBytes: number): SlotLease {
    this.busy++;
    this.memoryUsed += memoryBytes;
    let released = false;
    return {
      memoryBytes,
      release: () => {
        if (released) return;
        released = true;
        this.busy--;
        this.memoryUsed -= memoryBytes;
        this.dispatch();
      },
    };
  }
}
