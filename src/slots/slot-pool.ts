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
 * granted slots never exceed N; waiters are served by priority (higher first), then arrival order;
 * a waiter that does not fit may be overtaken for at most `maxBypassMs`.
 */
export class SlotPool {
  readonly slots: number;
  readonly memoryBudgetBytes: number;
  private busy = 0;
  private memoryUsed = 0;
  private seq = 0;
  private readonly waiters: Waiter[] = [];
  private readonly maxBypassMs: number;
  private readonly now: () => number;

  constructor(opts: SlotPoolOptions) {
    if (!Number.isInteger(opts.slots) || opts.slots < 1)
      throw new RangeError('slots must be a positive integer');
    if (!(opts.memoryBudgetBytes > 0)) throw new RangeError('memoryBudgetBytes must be positive');
    this.slots = opts.slots;
    this.memoryBudgetBytes = opts.memoryBudgetBytes;
    this.maxBypassMs = opts.maxBypassMs ?? 5000;
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
  acquire(memoryBytes: number, priority = 0, signal?: AbortSignal): Promise<SlotLease> {
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
    let i = 0;
    while (i < this.waiters.length && this.busy < this.slots) {
      const w = this.waiters[i] as Waiter;
      if (this.memoryUsed + w.memoryBytes <= this.memoryBudgetBytes) {
        this.waiters.splice(i, 1);
        w.resolve(this.grant(w.memoryBytes));
        continue;
      }
      // w does not fit: later waiters may overtake it only while its bypass window is open.
      if (nowMs - w.enqueuedAtMs >= this.maxBypassMs) return;
      i++;
    }
  }

  private insert(w: Waiter): void {
    let i = this.waiters.length;
    const nowMs = this.now();
    // Higher priority goes first, but never ahead of a waiter whose bypass window has closed.
    while (i > 0) {
      const prev = this.waiters[i - 1] as Waiter;
      if (prev.priority >= w.priority || nowMs - prev.enqueuedAtMs >= this.maxBypassMs) break;
      i--;
    }
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
