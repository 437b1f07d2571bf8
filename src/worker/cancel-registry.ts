/** Why a task's AbortSignal fired: a cancel request, or the worker stopping (kill at deadline). */
export class TaskAbort extends Error {
  constructor(
    readonly kind: 'cancel' | 'shutdown',
    message: string,
  ) {
    super(message);
    this.name = 'TaskAbort';
  }
}

/** A task's abort handle as the registry needs it (the worker's `TaskCancel`). */
export interface Abortable {
  readonly aborted: boolean;
  abort(reason: unknown): void;
}

/**
 * Cancel requests seen on berth.control and the abort handles of tasks in hand. Contract: a cancel
 * aborts every tracked task with that id and is remembered for `memoryMs`, so a task arriving
 * after its cancel is skipped; `killAll` aborts everything with a shutdown reason.
 */
export class CancelRegistry {
  private readonly cancelled = new Map<string, { atMs: number; reason: string }>();
  /** Abort handles by task id: one handle as is (the usual case), several in a Set. */
  private readonly tracked = new Map<string, Abortable | Set<Abortable>>();

  constructor(
    /** How long a cancel is remembered; the control follower also reads this far back on start. */
    readonly memoryMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  cancel(taskId: string, reason: string): number {
    this.prune();
    this.cancelled.delete(taskId);
    this.cancelled.set(taskId, { atMs: this.now(), reason });
    let aborted = 0;
    for (const ac of handles(this.tracked.get(taskId))) {
      if (ac.aborted) continue;
      ac.abort(new TaskAbort('cancel', reason));
      aborted++;
    }
    return aborted;
  }

  /** The cancel reason when `taskId` was cancelled within the memory window, else null. */
  cancelReason(taskId: string): string | null {
    const c = this.cancelled.get(taskId);
    if (!c || this.now() - c.atMs > this.memoryMs) return null;
    return c.reason;
  }

  /** Tracks a task's abort handle; the returned function stops tracking it. */
  track(taskId: string, controller: Abortable): () => void {
    const held = this.tracked.get(taskId);
    if (held === undefined) this.tracked.set(taskId, controller);
    else if (held instanceof Set) held.add(controller);
    else this.tracked.set(taskId, new Set<Abortable>([held, controller]));
    return () => {
      const now = this.tracked.get(taskId);
      if (now === controller) this.tracked.delete(taskId);
      else if (now instanceof Set) {
        now.delete(controller);
        if (now.size === 0) this.tracked.delete(taskId);
      }
    };
  }

  killAll(reason: string): number {
    let n = 0;
    for (const held of this.tracked.values()) {
      for (const ac of handles(held)) {
        if (ac.aborted) continue;
        ac.abort(new TaskAbort('shutdown', reason));
        n++;
      }
    }
    return n;
  }

  get trackedCount(): number {
    let n = 0;
    for (const held of this.tracked.values()) n += held instanceof Set ? held.size : 1;
    return n;
  }

  private prune(): void {
    const cutoff = this.now() - this.memoryMs;
    for (const [id, c] of this.cancelled) {
      if (c.atMs >= cutoff) break;
      this.cancelled.delete(id);
    }
  }
}

function handles(held: Abortable | Set<Abortable> | undefined): Iterable<Abortable> {
  if (held === undefined) return [];
  return held instanceof Set ? held : [held];
}
